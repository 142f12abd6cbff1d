/**
 * Crash recovery benchmark (issue 11, finding 6): how long a restart after SIGKILL keeps mail
 * clients waiting on a large archive, and how long the archive's recovery takes behind it.
 *
 * A ~1 GB archive (raw segment files plus the SQLite events; test/bench/recovery-archive.ts
 * builds it through the real pipeline and SIGKILLs itself mid-traffic, leaving a WAL and live
 * sessions) is opened by the real `imapscope` in front of Dovecot:
 *   1. restart after the builder's SIGKILL;
 *   2. that process SIGKILLed once recovery finished, restarted again;
 *   3. that one stopped with SIGTERM (a clean close), restarted: the same-run baseline, no
 *      recovery needed (the archive is opened before the listener, as always);
 *   4. an empty data directory: the start-up cost without any archive.
 * For each: ms from spawn to the ready line (the listener is open), to the first greeting a
 * client reads through it, and to "archive recovery finished" (with its own figures).
 * `--max-archive-mb 4096`, so the figures are recovery's, not retention deleting sessions.
 * Then what a SIGKILL under saturating load loses (test/bench/sigkill-loss.ts).
 *
 *   BENCH_ONLY=recovery npm run bench
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Dovecot } from '../helpers/dovecot.ts';
import { REPO_ROOT, startImapscope, type Imapscope, type LogLine } from '../helpers/imapscope.ts';
import { benchSigkillLoss, type SigkillLoss } from './sigkill-loss.ts';
import { progress } from './stats.ts';

/** Raw bytes the builder sends through the pipeline; the events add about a third on disk. */
const TARGET_RAW_BYTES = Number(process.env.RECOVERY_BENCH_RAW_BYTES ?? 800_000_000);

export interface RecoveryRow {
  start:
    'after SIGKILL (builder)' | 'after SIGKILL' | 'after SIGTERM (baseline)' | 'empty data dir';
  /** Spawn to the ready line: the listener is open. */
  listenerMs: number;
  /** Spawn to the first greeting a client read through the listener. */
  greetingMs: number;
  /** Spawn to "archive recovery finished"; null when no recovery ran. */
  recoveredMs: number | null;
  /** The recovery thread's own work (WAL replay, interrupted sessions, retention, counts). */
  recoverWorkMs: number | null;
  interrupted: number | null;
}

export interface RecoveryResult {
  archiveBytes: number;
  rawBytes: number;
  sessions: number;
  events: number;
  buildSeconds: number;
  rows: RecoveryRow[];
  /** What a SIGKILL under saturating load lost (test/bench/sigkill-loss.ts). */
  loss: SigkillLoss;
}

const du = (dir: string): number =>
  Number(execFileSync('du', ['-sb', dir]).toString().split('\t')[0]);

/** Runs the builder, which SIGKILLs itself once the archive is written. */
async function build(dir: string): Promise<{ sessions: number; events: number; rawBytes: number }> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(REPO_ROOT, 'test/bench/recovery-archive.ts'),
      dir,
      String(TARGET_RAW_BYTES),
    ],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  const signal = await new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_, s) => r(s)));
  if (signal !== 'SIGKILL') throw new Error(`the archive builder ended with ${signal}: ${out}`);
  return JSON.parse(out.trim()) as { sessions: number; events: number; rawBytes: number };
}

/** Ms from `t0` to the first greeting read through imapscope's listener. */
function greeting(scope: Imapscope, t0: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.connect(scope.listen.port, scope.listen.host);
    s.once('data', () => {
      resolve(Date.now() - t0);
      s.destroy();
    });
    s.once('error', reject);
  });
}

async function restart(
  dovecot: Dovecot,
  dataDir: string,
  start: RecoveryRow['start'],
  recovers: boolean,
): Promise<{ row: RecoveryRow; scope: Imapscope }> {
  const t0 = Date.now();
  const scope = await startImapscope([
    '--upstream',
    `${dovecot.host}:${dovecot.port}`,
    '--data',
    dataDir,
    '--max-archive-mb',
    '4096',
  ]);
  const listenerMs = Number(scope.readyLine.time) - t0;
  const greetingMs = await greeting(scope, t0);
  let finished: LogLine | null = null;
  if (recovers) {
    finished = await scope.waitForLog((l) => l.msg === 'archive recovery finished', 120_000);
  }
  const row: RecoveryRow = {
    start,
    listenerMs,
    greetingMs,
    recoveredMs: finished ? Number(finished.time) - t0 : null,
    recoverWorkMs: finished ? Number(finished.recoverMs) : null,
    interrupted: finished ? Number(finished.interrupted) : null,
  };
  progress(`  recovery: ${start}: ${JSON.stringify(row)}`);
  return { row, scope };
}

async function kill(scope: Imapscope): Promise<void> {
  const exited = new Promise((r) => scope.process.once('exit', r));
  scope.process.kill('SIGKILL');
  await exited;
  await scope.stop(); // removes its own (unused) temp dir
}

export async function benchRecovery(dovecot: Dovecot): Promise<RecoveryResult> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'imapscope-bench-recovery-'));
  const empty = await mkdtemp(path.join(os.tmpdir(), 'imapscope-bench-empty-'));
  try {
    progress(`recovery: building an archive of ${TARGET_RAW_BYTES / 1e6} MB of raw bytes`);
    const t = Date.now();
    const built = await build(dir);
    const buildSeconds = (Date.now() - t) / 1000;
    const archiveBytes = du(dir);
    progress(
      `recovery: built ${archiveBytes} bytes in ${buildSeconds} s: ${JSON.stringify(built)}`,
    );
    const rows: RecoveryRow[] = [];
    const first = await restart(dovecot, dir, 'after SIGKILL (builder)', true);
    rows.push(first.row);
    // A live session when the kill comes, so the next start has one to end `interrupted`.
    const live = net.connect(first.scope.listen.port, first.scope.listen.host);
    await new Promise((r) => live.once('data', r));
    await new Promise((r) => setTimeout(r, 1_000));
    await kill(first.scope);
    live.destroy();
    const second = await restart(dovecot, dir, 'after SIGKILL', true);
    rows.push(second.row);
    await second.scope.stop();
    const third = await restart(dovecot, dir, 'after SIGTERM (baseline)', false);
    rows.push(third.row);
    await third.scope.stop();
    const fourth = await restart(dovecot, empty, 'empty data dir', false);
    rows.push(fourth.row);
    await fourth.scope.stop();
    const loss = await benchSigkillLoss(dovecot);
    return {
      archiveBytes,
      rawBytes: built.rawBytes,
      sessions: built.sessions,
      events: built.events,
      buildSeconds,
      rows,
      loss,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
    await rm(empty, { recursive: true, force: true });
  }
}
