/**
 * The archive's CLI subcommands, added to the program by cli.ts:
 *
 *   imapscope export SESSION [--format jsonl|transcript|pcapng] [-o FILE]   (stdout without -o)
 *   imapscope import FILE      (a JSONL export, a transcript, or a Dovecot rawlog .in/.out)
 *   imapscope backfill         (derive what sessions an earlier imapscope archived lack)
 *
 * Both use the archive in --data, or with --archive postgres://… the shared PostgreSQL one;
 * they work while imapscope runs (SQLite WAL).
 */
import { createWriteStream, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { prepareDataDir, resolveConfig } from '../config.ts';
import type { RawOptions, RawSwitches } from '../config.ts';
import { ImapscopeError } from '../errors.ts';
import { EXPORT_FORMATS, isExportFormat } from '../export/formats.ts';
import type { ArchiveStore } from '../archive/store.ts';
import { openSharedArchive } from './shared-archive.ts';

/**
 * The archive's path, its data dir prepared as for every command (config.ts). The archive's
 * modules (better-sqlite3, the exporters, the importer's decoder) load when a command runs,
 * not at the top, so that `imapscope --help` and the other commands start without them.
 */
async function archivePath(cmd: Command): Promise<string> {
  const config = resolveConfig(cmd.optsWithGlobals<RawOptions & RawSwitches>(), process.env);
  prepareDataDir(config.dataDir);
  const { ARCHIVE_FILE } = await import('../archive/schema.ts');
  return join(config.dataDir, ARCHIVE_FILE);
}

/** Fails like a usage error: one line naming what is wrong (exit code 2 through cli.ts). */
function fail(message: string): never {
  throw new ImapscopeError('ERR_CONFIG_INVALID', message);
}

export function addArchiveCommands(program: Command): void {
  program
    .command('export')
    .description('write an archived session as JSONL events, a C:/S: transcript or pcapng')
    .argument('<id>', 'session id (see the viewer or GET /api/sessions)')
    .option('--format <format>', `one of ${EXPORT_FORMATS.join(', ')}`, 'jsonl')
    .option('-o, --output <file>', 'write to FILE instead of stdout')
    .action(async (session: string, opts: { format: string; output?: string }, cmd: Command) => {
      if (!isExportFormat(opts.format)) fail(`--format: use ${EXPORT_FORMATS.join(', ')}`);
      const config = resolveConfig(cmd.optsWithGlobals<RawOptions & RawSwitches>(), process.env);
      // With --archive: the shared PostgreSQL archive, any instance's sessions.
      const shared =
        config.archiveUrl !== null
          ? await openSharedArchive(config.archiveUrl, config.instance)
          : null;
      const file = shared ? shared.where : await archivePath(cmd);
      if (!shared && !existsSync(file)) fail(`no archive at ${file}`);
      const db = shared
        ? null
        : (await import('../archive/schema.ts')).openArchiveDb(file, { readonly: true });
      const { archiveSource, renderExport, storeSource } = await import('../export/index.ts');
      try {
        const src = shared ? await storeSource(shared, session) : archiveSource(db!, session);
        if (!src) fail(`no session ${session} in ${file}`);
        const out: NodeJS.WritableStream = opts.output
          ? createWriteStream(opts.output)
          : process.stdout;
        // A reader that went away (`| head`) ends the export quietly, as other tools do; a
        // file that cannot be written is a usage error naming it.
        let broken: NodeJS.ErrnoException | null = null;
        out.on('error', (err: NodeJS.ErrnoException) => (broken ??= err));
        // Both listeners go once either fires: one wait per backpressure pause, and a big
        // session pauses thousands of times (listeners left behind would pile up on 'error').
        const settled = (event: 'drain' | 'finish'): Promise<void> =>
          new Promise<void>((r) => {
            const done = (): void => {
              out.off(event, done);
              out.off('error', done);
              r();
            };
            out.on(event, done);
            out.on('error', done);
          });
        for (const part of renderExport(src, opts.format)) {
          if (broken) break;
          if (!out.write(part)) await settled('drain');
        }
        if (opts.output && !broken) {
          const finished = settled('finish');
          out.end();
          await finished;
        }
        const err = broken as NodeJS.ErrnoException | null;
        if (err && !(err.code === 'EPIPE' && !opts.output)) {
          fail(`--output ${opts.output ?? '(stdout)'}: ${err.code ?? err.message}`);
        }
      } finally {
        db?.close();
        await shared?.close();
      }
    });
  program
    .command('import')
    .description(
      'load a JSONL export, a C:/S: transcript or a Dovecot rawlog pair (.in/.out) into the ' +
        'archive as a new session, decoded like live traffic; prints the new session id. ' +
        'The same content imports once (a second import is refused, naming the session)',
    )
    .argument('<file>', 'the file (for a rawlog, either half of the pair)')
    .action(async (file: string, _opts: unknown, cmd: Command) => {
      if (!existsSync(file)) fail(`no such file: ${file}`);
      // With --archive: into the shared PostgreSQL archive, tagged with --instance.
      const config = resolveConfig(cmd.optsWithGlobals<RawOptions & RawSwitches>(), process.env);
      const { importFile } = await import('../import/index.ts');
      const archive: ArchiveStore =
        config.archiveUrl !== null
          ? await openSharedArchive(config.archiveUrl, config.instance)
          : new (await import('../archive/archive.ts')).Archive(await archivePath(cmd));
      try {
        const r = await importFile(archive, file);
        process.stdout.write(`${r.session}\t${r.kind}\t${r.events} events\n`);
      } catch (err) {
        if (err instanceof Error && 'code' in err && String(err.code).startsWith('ERR_IMPORT')) {
          fail(err.message);
        }
        throw err;
      } finally {
        await archive.close();
      }
    });
  program
    .command('backfill')
    .description(
      'derive the search text, audit trail and session counters of sessions archived by an ' +
        'earlier imapscope (before those existed), from their archived events, and exit. ' +
        'imapscope does this itself in the background when it starts; this does it offline. ' +
        'Interrupted, it goes on where it stopped next time; sessions done are never redone',
    )
    .action(async (_opts: unknown, cmd: Command) => {
      const config = resolveConfig(cmd.optsWithGlobals<RawOptions & RawSwitches>(), process.env);
      const archive: ArchiveStore =
        config.archiveUrl !== null
          ? await openSharedArchive(config.archiveUrl, config.instance)
          : new (await import('../archive/archive.ts')).Archive(await archivePath(cmd));
      const { Backfill } = await import('../archive/backfill.ts');
      const say = (line: string): boolean => process.stderr.write(`imapscope: ${line}\n`);
      const env = process.env;
      const hold = Number(env.IMAPSCOPE_TEST_BACKFILL_HOLD_AFTER_BATCHES ?? '');
      let error: unknown = null;
      try {
        const r = await Backfill.start(archive, {
          pause: 0,
          // Test only: small batches, and a stop after some of them (the test kills it there).
          ...(Number(env.IMAPSCOPE_TEST_BACKFILL_BATCH_EVENTS) > 0
            ? { batchEvents: Number(env.IMAPSCOPE_TEST_BACKFILL_BATCH_EVENTS) }
            : {}),
          ...(hold > 0
            ? {
                afterBatch: (n: number) =>
                  n === hold
                    ? new Promise<void>(() => say(`backfill: holding after ${n} batches`))
                    : undefined,
              }
            : {}),
          onStart: (n) => say(`backfilling search and audit for ${n} sessions…`),
          onProgress: (p) => say(`backfill: ${p.done} of ${p.sessions} sessions`),
          onError: (err) => (error = err),
        }).finished;
        if (error) throw error as Error;
        process.stdout.write(
          r.sessions === 0
            ? 'nothing to backfill\n'
            : `${r.done} sessions backfilled (${r.events} events) in ${(r.ms / 1000).toFixed(1)} s\n`,
        );
      } finally {
        await archive.close();
      }
    });
}
