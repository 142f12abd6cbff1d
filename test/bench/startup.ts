/**
 * Start-up figures (issue 15): how long `imapscope --help` takes, how long from spawning
 * imapscope to its "ready" line, and how much memory an idle instance holds, for the compiled
 * build (bin/imapscope.js → dist/) and the TypeScript sources through tsx
 * (proxy/imapscope.mjs), side by side, rounds interleaved. `node -e 0` in the same rounds is
 * the floor: Node's own start on this machine.
 *
 * The instance runs with the practice server (no --upstream), its archive on (the default), no
 * session and no viewer, in a new data directory each time (so each start also creates the
 * token and the archive: a first start, the slower case). Idle RSS is VmRSS of the process
 * (both threads: the relay and the inspection thread) IDLE_SETTLE_MS after the ready line.
 * The ready line must be true when it is written: right after it (outside the time measured)
 * the UI server's /healthz must answer 200, which it does only once the client listener is
 * up; a run where it does not fails the benchmark.
 *
 * The compiled build is made first (`tsc -p tsconfig.build.json` into dist/), so the figures
 * are of the sources as checked out.
 *
 *   BENCH_ONLY=startup npm run bench             # this section only, into BENCHMARKS.md
 *   node --import tsx test/bench/startup.ts      # standalone: prints the result as JSON
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { median, memory, msSince, progress } from './stats.ts';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Rounds per figure and path; the figure is the median. */
export const STARTUP_ROUNDS = 5;
/** How long after the ready line the idle RSS is read (timers, GC and the worker settle). */
export const IDLE_SETTLE_MS = 2_000;
const READY_TIMEOUT_MS = 60_000;

export const HELP_TARGET_MS = 300;
export const READY_TARGET_MS = 1_000;
export const IDLE_RSS_TARGET_BYTES = 100 * 2 ** 20;

export type StartupPath = 'node -e 0' | 'compiled' | 'tsx';

export interface StartupRow {
  path: StartupPath;
  /** What was run, relative to the repository. */
  command: string;
  helpMs: number;
  helpSamplesMs: number[];
  /** Null for `node -e 0`, which starts no proxy. */
  readyMs: number | null;
  readySamplesMs: number[];
  idleRssBytes: number | null;
  idleRssSamplesBytes: number[];
}

export interface StartupResult {
  rounds: number;
  idleSettleMs: number;
  rows: StartupRow[];
  /** Targets are judged on the compiled build; null when it was not measured. */
  pass: { help: boolean; ready: boolean; idleRss: boolean } | null;
}

const ENTRIES: Record<Exclude<StartupPath, 'node -e 0'>, string> = {
  compiled: 'bin/imapscope.js',
  tsx: 'proxy/imapscope.mjs',
};

/** Milliseconds from spawning `node args` until it exits (its output discarded). */
function timeRun(args: string[]): Promise<number> {
  const start = process.hrtime.bigint();
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: 'ignore' });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0
        ? resolve(msSince(start))
        : reject(new Error(`node ${args.join(' ')} exited with ${code}`)),
    );
  });
}

/**
 * Spawns imapscope with the practice server; resolves with the time from spawn to the ready
 * line and VmRSS IDLE_SETTLE_MS later, then stops it (SIGTERM) and removes its data dir.
 * Throws when /healthz does not answer 200 right after the ready line.
 */
async function timeReady(entry: string): Promise<{ readyMs: number; rss: number }> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'imapscope-bench-startup-'));
  const start = process.hrtime.bigint();
  const child = spawn(
    process.execPath,
    [entry, '--listen', '127.0.0.1:0', '--ui', '127.0.0.1:0', '--data', dataDir],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  try {
    let readyLine: { ui?: string } = {};
    const readyMs = await new Promise<number>((resolve, reject) => {
      let out = '';
      let err = '';
      const timer = setTimeout(
        () => reject(new Error(`no ready line from ${entry} in ${READY_TIMEOUT_MS} ms`)),
        READY_TIMEOUT_MS,
      );
      child.stderr.on('data', (c: Buffer) => (err += c.toString()));
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        // Whole lines only (the last piece may be cut): pino writes the line in one write.
        const line = out
          .split('\n')
          .slice(0, -1)
          .find((l) => l.includes('"msg":"ready"'));
        if (line) {
          clearTimeout(timer);
          resolve(msSince(start));
          readyLine = JSON.parse(line) as { ui?: string };
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${entry} exited with ${code} before ready: ${err.trim().slice(0, 200)}`));
      });
    });
    child.stdout.resume();
    const health = await fetch(`http://${readyLine.ui}/healthz`);
    if (health.status !== 200) {
      throw new Error(`${entry}: /healthz answered ${health.status} right after the ready line`);
    }
    await new Promise((r) => setTimeout(r, IDLE_SETTLE_MS));
    const rss = memory(child.pid)?.rss;
    if (rss === undefined) throw new Error(`no VmRSS for ${entry}`);
    return { readyMs, rss };
  } finally {
    child.kill('SIGTERM');
    await exited;
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** Builds dist/ from the sources as checked out, as `npm run build:proxy` does. */
async function buildDist(): Promise<void> {
  const tsc = path.join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  await promisify(execFile)(process.execPath, [tsc, '-p', 'tsconfig.build.json'], {
    cwd: REPO_ROOT,
  });
}

export async function benchStartup(): Promise<StartupResult> {
  progress('startup: compiling dist/ (tsc -p tsconfig.build.json)');
  await buildDist();
  const paths: StartupPath[] = ['node -e 0', 'compiled', 'tsx'];
  const help = new Map<StartupPath, number[]>(paths.map((p) => [p, []]));
  const ready = new Map<StartupPath, number[]>(paths.map((p) => [p, []]));
  const rss = new Map<StartupPath, number[]>(paths.map((p) => [p, []]));
  for (let round = 0; round < STARTUP_ROUNDS; round++) {
    // A different order each round, so neither path always runs on a warmer page cache.
    const order = round % 2 === 0 ? paths : [...paths].reverse();
    for (const p of order) {
      if (p === 'node -e 0') {
        help.get(p)!.push(await timeRun(['-e', '0']));
        continue;
      }
      help.get(p)!.push(await timeRun([ENTRIES[p], '--help']));
      const r = await timeReady(ENTRIES[p]);
      ready.get(p)!.push(r.readyMs);
      rss.get(p)!.push(r.rss);
    }
    progress(`startup: round ${round + 1}/${STARTUP_ROUNDS} done`);
  }
  const rows = paths.map((p): StartupRow => {
    const readySamples = ready.get(p)!;
    const rssSamples = rss.get(p)!;
    return {
      path: p,
      command: p === 'node -e 0' ? 'node -e 0' : `node ${ENTRIES[p]}`,
      helpMs: median(help.get(p)!),
      helpSamplesMs: help.get(p)!,
      readyMs: readySamples.length > 0 ? median(readySamples) : null,
      readySamplesMs: readySamples,
      idleRssBytes: rssSamples.length > 0 ? median(rssSamples) : null,
      idleRssSamplesBytes: rssSamples,
    };
  });
  const compiled = rows.find((r) => r.path === 'compiled')!;
  return {
    rounds: STARTUP_ROUNDS,
    idleSettleMs: IDLE_SETTLE_MS,
    rows,
    pass: {
      help: compiled.helpMs <= HELP_TARGET_MS,
      ready: compiled.readyMs !== null && compiled.readyMs <= READY_TARGET_MS,
      idleRss: compiled.idleRssBytes !== null && compiled.idleRssBytes <= IDLE_RSS_TARGET_BYTES,
    },
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  benchStartup().then(
    (r) => process.stdout.write(`${JSON.stringify(r, null, 2)}\n`),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    },
  );
}
