/**
 * What the relay and hub benchmarks share: the mail they fetch, the processes they measure
 * (the plain relay of test/bench/relay.ts and the real imapscope command) and the client
 * workloads (bulk FETCH, 200 concurrent sessions), all driven by test/bench/imap-driver.ts.
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Dovecot } from '../helpers/dovecot.ts';
import { startImapscope } from '../helpers/imapscope.ts';
import type { Imapscope, LogLine } from '../helpers/imapscope.ts';
import { makeMessage } from '../helpers/mail.ts';
import { parseHostPort } from '../helpers/net.ts';
import { ImapDriver } from './imap-driver.ts';
import { msSince, progress } from './stats.ts';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RELAY_SCRIPT = fileURLToPath(new URL('./relay.ts', import.meta.url));
const THREAD_NAMES = fileURLToPath(new URL('./thread-names.cjs', import.meta.url));

// The workloads; issue 2 fixes the first figures of each.
export const BULK_MESSAGES = 20;
export const BULK_MESSAGE_BYTES = 5 * 1024 * 1024;
export const SESSIONS = 200;
export const SESSION_FETCH = 50;
export const SMALL_MESSAGES = 60;
export const SESSION_TIMEOUT_MS = 60_000;

export interface Endpoint {
  host: string;
  port: number;
}

/** A relaying process under test. */
export interface Child extends Endpoint {
  pid: number | undefined;
  stop(): Promise<void>;
}

/**
 * Where test/bench/thread-names.cjs, preloaded into a measured process, writes its threads'
 * names (see {@link threadKinds} in stats.ts), with the node flags and environment that load
 * it; `remove()` deletes the file.
 */
export interface ThreadNames {
  file: string;
  nodeArgs: string[];
  env: Record<string, string>;
  remove(): void;
}

/** A fresh {@link ThreadNames} for one process; `label` tells the files apart. */
export function threadNames(label: string): ThreadNames {
  const file = path.join(os.tmpdir(), `imapscope-bench-threads-${process.pid}-${label}.jsonl`);
  rmSync(file, { force: true });
  return {
    file,
    nodeArgs: ['--require', THREAD_NAMES],
    env: { IMAPSCOPE_BENCH_THREADS: file },
    remove: () => rmSync(file, { force: true }),
  };
}

/**
 * Bytes imapscope relayed but did not decode (the "inspection gap": a best-effort inspection
 * that fell behind dropped them; lossless, the default, pauses the relay instead): the sum of
 * droppedBytes over its "inspection gap" log lines (warn, logged at the default level) from
 * `logs[from]` on. A gap logged after the caller's mark counts for whatever comes next.
 */
export function gapBytes(logs: readonly LogLine[], from = 0): number {
  let bytes = 0;
  for (let i = from; i < logs.length; i++) {
    if (logs[i]!.msg === 'inspection gap') bytes += Number(logs[i]!.droppedBytes ?? 0);
  }
  return bytes;
}

/**
 * Starts test/bench/relay.ts as its own Node process and waits for its listen line; `names`
 * preloads test/bench/thread-names.cjs (per-thread CPU).
 */
export async function startPlainRelay(upstream: Endpoint, names?: ThreadNames): Promise<Child> {
  const child = spawn(
    process.execPath,
    [
      ...(names?.nodeArgs ?? []),
      '--import',
      'tsx',
      RELAY_SCRIPT,
      upstream.host,
      String(upstream.port),
    ],
    {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...names?.env },
    },
  );
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  const listen = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve((JSON.parse(out.slice(0, nl)) as { listen: string }).listen);
    });
    void exited.then(() => reject(new Error(`plain relay exited before listening:\n${stderr}`)));
  });
  return {
    ...parseHostPort(listen),
    pid: child.pid,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * Starts the real imapscope command at its default log level (info), as an operator runs it,
 * with `extra` flags after --upstream; retries for a while if it cannot start yet. The child's
 * environment gets `env` (e.g. NODE_OPTIONS=--cpu-prof for a profile); `names` preloads
 * test/bench/thread-names.cjs (per-thread CPU).
 */
export async function startScope(
  upstream: Endpoint,
  extra: string[] = [],
  env: Record<string, string> = {},
  names?: ThreadNames,
): Promise<Imapscope> {
  const args = ['--upstream', `${upstream.host}:${upstream.port}`, ...extra];
  let lastError: unknown;
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      return await startImapscope(args, { ...env, ...names?.env }, names?.nodeArgs);
    } catch (err) {
      lastError = err;
      // Only an early exit (e.g. a module still being written) is worth another try.
      if (!String(err).includes('exited before ready')) break;
      progress(`imapscope did not start (attempt ${attempt}/3): ${String(err).split('\n')[0]}`);
      await new Promise((r) => setTimeout(r, 2_000));
    }
  }
  throw lastError;
}

export async function login(p: Endpoint, user: string, password: string): Promise<ImapDriver> {
  const d = await ImapDriver.connect(p.host, p.port);
  await d.ok(`LOGIN ${user} ${password}`);
  return d;
}

/** The bulk messages into user's INBOX, the small ones into user2's. */
export async function prepareMail(dovecot: Dovecot): Promise<void> {
  const big = await login(dovecot, dovecot.user, dovecot.password);
  for (let i = 1; i <= BULK_MESSAGES; i++) {
    await big.append('INBOX', makeMessage(BULK_MESSAGE_BYTES, `bulk ${i} of ${BULK_MESSAGES}`));
  }
  await big.logout();
  const small = await login(dovecot, dovecot.user2.user, dovecot.user2.password);
  for (let i = 1; i <= SMALL_MESSAGES; i++) {
    await small.append('INBOX', makeMessage(1_500 + ((i * 997) % 3_000), `small message ${i}`));
  }
  await small.logout();
}

/** A logged-in connection with the bulk mailbox selected, for {@link bulkFetch}. */
export async function bulkConnection(p: Endpoint, dovecot: Dovecot): Promise<ImapDriver> {
  const d = await login(p, dovecot.user, dovecot.password);
  await d.ok('SELECT INBOX');
  return d;
}

export interface BulkSample {
  mbPerS: number;
  bytes: number;
  ms: number;
}

/** `UID FETCH 1:20 BODY.PEEK[]` on a connection from {@link bulkConnection}. */
export async function bulkFetch(d: ImapDriver): Promise<BulkSample> {
  const before = d.bytesIn;
  const start = process.hrtime.bigint();
  const c = await d.ok(`UID FETCH 1:${BULK_MESSAGES} BODY.PEEK[]`);
  const ms = msSince(start);
  const bytes = d.bytesIn - before;
  if (c.untagged !== BULK_MESSAGES || bytes < BULK_MESSAGES * BULK_MESSAGE_BYTES) {
    throw new Error(`bulk fetch: ${c.untagged} FETCH responses, ${bytes} bytes: too few`);
  }
  return { mbPerS: bytes / 1e6 / (ms / 1000), bytes, ms };
}

export interface SessionsSample {
  completed: number;
  totalMs: number;
  errors: string[];
}

/** One small session: LOGIN, SELECT INBOX, FETCH 1:50 (FLAGS ENVELOPE), LOGOUT. */
export async function oneSession(p: Endpoint, user: string, password: string): Promise<void> {
  const d = await ImapDriver.connect(p.host, p.port, SESSION_TIMEOUT_MS);
  try {
    await d.ok(`LOGIN ${user} ${password}`);
    await d.ok('SELECT INBOX');
    const f = await d.ok(`FETCH 1:${SESSION_FETCH} (FLAGS ENVELOPE)`);
    if (f.untagged < SESSION_FETCH) throw new Error(`FETCH gave ${f.untagged} responses`);
    await d.logout();
  } finally {
    d.destroy();
  }
}

/** `count` (200) sessions started at once; total time from first connect to last close. */
export async function concurrentSessions(
  p: Endpoint,
  user: string,
  password: string,
  count = SESSIONS,
): Promise<SessionsSample> {
  const start = process.hrtime.bigint();
  const errors = new Map<string, number>();
  let completed = 0;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((r) => {
    timer = setTimeout(() => r('timeout'), SESSION_TIMEOUT_MS);
  });
  const all = Promise.all(
    Array.from({ length: count }, () =>
      oneSession(p, user, password).then(
        () => void (completed += 1),
        (err: Error) => void errors.set(err.message, (errors.get(err.message) ?? 0) + 1),
      ),
    ),
  );
  const outcome = await Promise.race([all, timeout]);
  clearTimeout(timer);
  if (outcome === 'timeout') errors.set(`timeout after ${SESSION_TIMEOUT_MS} ms`, 1);
  return {
    completed,
    totalMs: msSince(start),
    errors: [...errors].map(([m, n]) => `${n}× ${m}`),
  };
}

/** Lets Dovecot reap its 200 imap processes before the next path starts. */
export const settle = (ms = 500): Promise<void> => new Promise((r) => setTimeout(r, ms));
