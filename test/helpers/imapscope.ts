/**
 * Runs the real `imapscope` command (proxy/imapscope.mjs) as a child process, the way an
 * operator would, and follows its JSON log lines on stdout.
 */
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseHostPort } from './net.ts';

/** The repository root, found from this file so tests run from any cwd. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ENTRY = path.join(REPO_ROOT, 'proxy', 'imapscope.mjs');
/** How long a start may take; TEST_READY_TIMEOUT_MS raises it (the archive bench, on a busy machine). */
const readyTimeoutMs = (): number => Number(process.env.TEST_READY_TIMEOUT_MS ?? 30_000);

/**
 * Runs an imapscope subcommand (`export`, `import`, `audit`…) on `dataDir` and resolves with its
 * stdout; rejects with `code` and `stderr` when it exits non-zero. It does not block the event
 * loop: a blocking spawn longer than the UI's 5 s keep-alive made a test's next fetch go out on
 * a socket the server had closed ("other side closed").
 */
export async function runSubcommand(dataDir: string, ...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [ENTRY, ...args, '--data', dataDir],
    { encoding: 'utf8', cwd: REPO_ROOT },
  );
  return stdout;
}
const STOP_TIMEOUT_MS = 5_000;

/** One parsed pino line. */
export type LogLine = Record<string, unknown> & { msg?: string; level?: number | string };

export interface Imapscope {
  /** Where clients connect (the actual port when 0 was asked for). */
  listen: { host: string; port: number };
  /** The viewer's HTTP address. */
  ui: { host: string; port: number };
  /** The viewer URL from the ready line, with its token. */
  url: string;
  readyLine: LogLine;
  /** Every JSON log line so far, in order; grows while the process runs. */
  logs: LogLine[];
  /** Everything the process wrote to stderr so far. */
  readonly stderr: string;
  /** Lines on stdout that were not JSON (should stay empty when stdout is not a TTY). */
  nonJsonLines: string[];
  process: ChildProcessWithoutNullStreams;
  dataDir: string;
  /** Resolves with the first log line (already seen or future) that matches. */
  waitForLog(predicate: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** SIGTERM, then SIGKILL after 5 s; removes the data dir. Resolves with the exit status. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Spawns `node proxy/imapscope.mjs --listen 127.0.0.1:0 --ui 127.0.0.1:0 --data <tmp> ...args`
 * and resolves when the line with msg "ready" arrives. Rejects, with stderr and the log so
 * far, if the process exits first or no ready line comes within 30 s. Later flags in `args`
 * override the defaults above (the parser's last-one-wins).
 */
export async function startImapscope(
  args: string[] = [],
  env: Record<string, string> = {},
  nodeArgs: string[] = [],
): Promise<Imapscope> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'imapscope-data-'));
  const child = spawn(
    process.execPath,
    [
      ...nodeArgs,
      ENTRY,
      '--listen',
      '127.0.0.1:0',
      '--ui',
      '127.0.0.1:0',
      '--data',
      dataDir,
      ...args,
    ],
    { cwd: REPO_ROOT, env: { ...process.env, ...env } },
  );
  const logs: LogLine[] = [];
  const nonJsonLines: string[] = [];
  const waiters = new Set<{ predicate: (l: LogLine) => boolean; resolve: (l: LogLine) => void }>();
  let stderr = '';
  let pending = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdout.on('data', (c: Buffer) => {
    pending += c.toString();
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const text = pending.slice(0, nl).trim();
      pending = pending.slice(nl + 1);
      if (!text) continue;
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        nonJsonLines.push(text);
        continue;
      }
      logs.push(line);
      for (const w of waiters) {
        if (w.predicate(line)) {
          waiters.delete(w);
          w.resolve(line);
        }
      }
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );

  const waitForLog = (predicate: (l: LogLine) => boolean, timeoutMs = 10_000): Promise<LogLine> => {
    const seen = logs.find(predicate);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = {
        predicate,
        resolve: (l: LogLine) => {
          clearTimeout(timer);
          resolve(l);
        },
      };
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        reject(
          new Error(
            `imapscope: no matching log line within ${timeoutMs} ms; log so far:\n` +
              logs.map((l) => JSON.stringify(l)).join('\n') +
              `\nstderr:\n${stderr}`,
          ),
        );
      }, timeoutMs);
      waiters.add(waiter);
    });
  };

  let stopping: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | undefined;
  const stop = (): Promise<{ code: number | null; signal: NodeJS.Signals | null }> => {
    stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
        const status = await exited;
        clearTimeout(timer);
        await rm(dataDir, { recursive: true, force: true });
        return status;
      }
      await rm(dataDir, { recursive: true, force: true });
      return { code: child.exitCode, signal: child.signalCode };
    })();
    return stopping;
  };

  let readyLine: LogLine;
  try {
    readyLine = await Promise.race([
      waitForLog((l) => l.msg === 'ready', readyTimeoutMs()),
      exited.then((status) => {
        throw new Error(`imapscope exited before ready (${JSON.stringify(status)})`);
      }),
    ]);
  } catch (err) {
    await stop();
    throw new Error(
      `${(err as Error).message}\nargs: ${args.join(' ')}\nstdout:\n` +
        [...logs.map((l) => JSON.stringify(l)), ...nonJsonLines].join('\n') +
        `\nstderr:\n${stderr}`,
      { cause: err },
    );
  }

  const field = (name: string): string => {
    const value = readyLine[name];
    if (typeof value !== 'string') {
      throw new Error(`ready line has no string "${name}": ${JSON.stringify(readyLine)}`);
    }
    return value;
  };

  return {
    listen: parseHostPort(field('listen')),
    ui: parseHostPort(field('ui')),
    url: field('url'),
    readyLine,
    logs,
    get stderr() {
      return stderr;
    },
    nonJsonLines,
    process: child,
    dataDir,
    waitForLog,
    stop,
  };
}
