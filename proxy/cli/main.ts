import { Command, CommanderError, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { ConfigError, ImapscopeError } from '../errors.ts';
import { OPTION_TABLE, SWITCH_TABLE, prepareDataDir, resolveConfig } from '../config.ts';
import type { RawOptions, RawSwitches } from '../config.ts';
import type { RunningImapscope } from '../app.ts';
import type { Logger } from '../log.ts';
import { addArchiveCommands } from './archive-commands.ts';
import { addQueryCommands } from './query-commands.ts';
import { addGrepCommand } from './grep-command.ts';
import { packageUrl } from '../paths.ts';

const pkg = JSON.parse(readFileSync(packageUrl('package.json'), 'utf8')) as {
  version: string;
};

/** Usage errors: one line on stderr naming the flag, exit code 2. */
function usageError(message: string): never {
  process.stderr.write(`imapscope: ${message}\n`);
  process.exit(2);
}

/** Edit distance (insertions, deletions, substitutions) between two short words. */
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(
        row[j]! + 1,
        next[j - 1]! + 1,
        row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    row = next;
  }
  return row[b.length]!;
}

/** A word where a subcommand belongs that is none: name the closest one, if any is close. */
function unknownCommand(word: string, program: Command): never {
  const names = program.commands.map((c) => c.name());
  const best = names
    .map((name) => ({ name, d: distance(word.toLowerCase(), name) }))
    .sort((x, y) => x.d - y.d)[0];
  const hint =
    best && best.d <= Math.max(1, Math.floor(best.name.length / 3))
      ? `did you mean '${best.name}'?`
      : `commands: ${names.join(', ')}`;
  usageError(`unknown command '${word}' (${hint})`);
}

/** The log level asked for, read leniently (the error being reported may be a bad flag). */
function debugRequested(program: Command): boolean {
  const level = program.opts<RawOptions>().logLevel ?? process.env.IMAPSCOPE_LOG_LEVEL;
  return level === 'debug' || level === 'trace';
}

/** Exit codes of a second signal, which ends the process at once (128 + the signal's number). */
const FORCED_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

/**
 * Runs the proxy until SIGTERM or SIGINT, then shuts it down gracefully (app.close: BYEs, a
 * drain of up to `drainMs`, every close recorded, the archive flushed) and exits 0. The
 * handlers are installed before anything listens, so a signal that arrives while imapscope
 * starts waits for the start and then shuts down the same way. A second signal exits at once.
 */
function runUntilSignalled(
  log: Logger,
  start: () => Promise<RunningImapscope>,
  drainMs: number,
): void {
  let stopping: string | null = null;
  // start() runs in a microtask, after the handlers below are installed.
  const started = Promise.resolve().then(start);
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting without waiting');
      log.flush();
      process.exit(FORCED_EXIT[signal] ?? 1);
    }
    stopping = signal;
    log.info({ signal, drainSeconds: drainMs / 1000 }, 'shutting down');
    void started
      .then((app) => app.close(drainMs))
      .then(
        () => {
          log.info('stopped');
          log.flush();
          process.exit(0);
        },
        // A start that failed is reported by the caller's catch (one line, exit 2).
        () => {},
      );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  started.catch((err: unknown) => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    reportFatal(err);
  });
}

/** A start that failed: a user's mistake is one line and exit 2; anything else one line and 1. */
function reportFatal(err: unknown): void {
  if (err instanceof ConfigError || err instanceof ImapscopeError) usageError(err.message);
  const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
  process.stderr.write(`imapscope: unexpected error: ${message}\n`);
  if (process.env.IMAPSCOPE_LOG_LEVEL === 'debug')
    process.stderr.write(`${(err as Error)?.stack}\n`);
  process.exit(1);
}

function buildProgram(): Command {
  const program = new Command('imapscope')
    .description(
      'A transparent IMAP proxy and live traffic inspector: point a mail client at --listen, ' +
        'imapscope forwards every byte to --upstream and shows the conversation in the viewer at --ui.',
    )
    .version(pkg.version)
    .exitOverride()
    .configureOutput({
      outputError: (str, write) =>
        write(
          `imapscope: ${str
            .replace(/^error: /, '')
            .trim()
            .replace(/\s*\n\s*/g, ' ')}\n`,
        ),
    })
    .addHelpText(
      'after',
      '\nEvery flag can also be set in the environment variable shown beside it; flags win.\n' +
        'Without --upstream, imapscope starts a built-in practice IMAP server; the "ready" log line\n' +
        'gives its user and password and the viewer URL with its token.',
    );
  for (const row of OPTION_TABLE) {
    const def = row.def === undefined ? '' : ` (default: ${row.def})`;
    program.addOption(
      new Option(`${row.flag} <${row.value}>`, `${row.help}${def} [env ${row.env}]`),
    );
  }
  for (const row of SWITCH_TABLE) {
    program.addOption(new Option(row.flag, `${row.help} [env ${row.env}]`));
  }
  // Words after the flags are taken here (not refused as "too many arguments") so that a
  // mistyped subcommand gets its own message; subcommands still refuse extra arguments.
  program.allowExcessArguments(true);
  program.action(async (opts: RawOptions & RawSwitches, cmd: Command) => {
    if (cmd.args[0] !== undefined) unknownCommand(cmd.args[0], program);
    const config = resolveConfig(opts, process.env);
    // Loaded here, not at the top, so that --help, a bad flag and the subcommands start fast.
    const [{ createLogger }, { startImapscope }] = await Promise.all([
      import('../log.ts'),
      import('../app.ts'),
    ]);
    const log = createLogger(config.logLevel);
    runUntilSignalled(log, () => startImapscope(config, log), config.drainS * 1000);
  });
  program
    .command('ca')
    .description(
      "print where imapscope's CA certificate is, its fingerprint and its PEM (creating the CA " +
        'in the data dir on first use); trust it in mail clients used with --client-tls',
    )
    .action(async (_opts: unknown, cmd: Command) => {
      const config = resolveConfig(cmd.optsWithGlobals<RawOptions & RawSwitches>(), process.env);
      prepareDataDir(config.dataDir);
      const { CertificateAuthority } = await import('../net/ca.ts');
      const ca = await CertificateAuthority.load(config.dataDir);
      process.stdout.write(
        `CA certificate: ${ca.certPath}\nSHA-256 fingerprint: ${ca.fingerprint256}\n${ca.certPem}`,
      );
    });
  addArchiveCommands(program);
  addQueryCommands(program);
  addGrepCommand(program);
  for (const sub of program.commands) sub.allowExcessArguments(false);
  return program;
}

const program = buildProgram();
try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') process.exit(0);
    process.exit(2); // commander already printed the one-line error
  }
  if (err instanceof ConfigError) usageError(err.message);
  if (err instanceof ImapscopeError) usageError(err.message);
  // The archive's and the importer's refusals (a newer archive, a file that is no log).
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^ERR_(IMPORT|ARCHIVE)_/.test(code)) {
    usageError((err as Error).message);
  }
  // Not the user's mistake, still no stack unless asked for: one line and where to look.
  const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
  if (debugRequested(program)) process.stderr.write(`${(err as Error)?.stack ?? message}\n`);
  else {
    process.stderr.write(
      `imapscope: unexpected error: ${message} (run again with --log-level debug for details)\n`,
    );
  }
  process.exit(1);
}
