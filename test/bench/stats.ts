/** Small statistics and process helpers for the benchmark. */
import { readdirSync, readFileSync } from 'node:fs';

/** The median of a non-empty list (mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of nothing');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const hi = sorted[mid]!;
  return sorted.length % 2 === 1 ? hi : (sorted[mid - 1]! + hi) / 2;
}

/** The nearest-rank percentile `p` (0..100) of a non-empty list. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new Error('percentile of nothing');
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

/** `list` rotated left by `by`: used to interleave the paths in a different order each round. */
export function rotate<T>(list: readonly T[], by: number): T[] {
  const n = by % list.length;
  return [...list.slice(n), ...list.slice(0, n)];
}

/** CPU seconds (user + system) a process has used so far, from /proc; undefined if unreadable. */
export function cpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which is in parentheses and may contain spaces).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after the name.
    const ticks = Number(fields[11]) + Number(fields[12]);
    return ticks / 100; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}

/** Milliseconds since `start` (a process.hrtime.bigint() value). */
export function msSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const runStart = process.hrtime.bigint();

/** A progress line on stderr, with the seconds since the benchmark started. */
export function progress(message: string): void {
  const s = (msSince(runStart) / 1000).toFixed(1).padStart(6);
  process.stderr.write(`[bench ${s}s] ${message}\n`);
}

/** VmRSS and VmHWM (peak RSS) of a process in bytes, from /proc; undefined if unreadable. */
export function memory(pid: number | undefined): { rss: number; hwm: number } | undefined {
  if (pid === undefined) return undefined;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string): number =>
      Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rss: kb('VmRSS') * 1024, hwm: kb('VmHWM') * 1024 };
  } catch {
    return undefined;
  }
}

/** CPU ms of one thread: user + system, and system alone (kernel time). */
export interface ThreadCpu {
  ms: number;
  sys: number;
}

/**
 * CPU ms of each thread of `pid`, by kernel thread id, from /proc/PID/task/TID/stat: user +
 * system, and system alone (socket I/O, page cache copies of the raw archive's writes). Empty
 * when the process is gone; a thread that ended is missing (its time is lost to these figures).
 * Ticks of 10 ms (USER_HZ 100): sum over long stretches.
 */
export function threadCpuMs(pid: number | undefined): Map<number, ThreadCpu> {
  const out = new Map<number, ThreadCpu>();
  if (pid === undefined) return out;
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const sys = Number(fields[12]) * 10;
      out.set(Number(tid), { ms: Number(fields[11]) * 10 + sys, sys });
    } catch {
      // the thread ended
    }
  }
  return out;
}

/** Per-thread CPU used between two {@link threadCpuMs} readings (threads new since count whole). */
export function threadCpuDelta(
  before: Map<number, ThreadCpu>,
  after: Map<number, ThreadCpu>,
): Map<number, ThreadCpu> {
  const out = new Map<number, ThreadCpu>();
  for (const [tid, t] of after) {
    const was = before.get(tid) ?? { ms: 0, sys: 0 };
    out.set(tid, { ms: t.ms - was.ms, sys: t.sys - was.sys });
  }
  return out;
}

/** Adds `delta` into `sum`, thread by thread. */
export function addThreadCpu(sum: Map<number, ThreadCpu>, delta: Map<number, ThreadCpu>): void {
  for (const [tid, t] of delta) {
    const s = sum.get(tid) ?? { ms: 0, sys: 0 };
    sum.set(tid, { ms: s.ms + t.ms, sys: s.sys + t.sys });
  }
}

/** What test/bench/thread-names.cjs wrote for one process, read back. */
interface ThreadNameLine {
  tid?: number;
  threadId?: number;
  v8?: number[];
  pool?: number[];
  entry?: string;
}

/** The kinds of thread a Node process of ours has, in the order the report lists them. */
export const THREAD_KINDS = [
  'relay (main) thread',
  'inspection thread',
  'raw archive writer thread',
  'other worker threads',
  'V8 platform threads (GC, compiler)',
  'libuv pool (async fs, crypto, zlib)',
  'other threads',
] as const;
export type ThreadKind = (typeof THREAD_KINDS)[number];

/**
 * Each thread of `pid` by kind, from the lines test/bench/thread-names.cjs wrote to
 * `namesFile` (undefined or unreadable: only the main thread is known, the rest are "other
 * threads").
 *
 * Worker threads are known by their entry: the inspection thread's (thread-entry.mjs from the
 * sources, thread.js compiled) and the raw archive's writer (an eval'd body that writes with
 * writeSync). V8's threads are those that existed when the preload ran, before any
 * JavaScript: its delayed-task thread and platform workers (concurrent GC and compiler jobs),
 * and the idle SIGUSR1 watchdog; libuv's pool the threads its first job created. Checked on
 * Node 20 by burning CPU in each: GC churn lands on the first, async pbkdf2 on the second.
 * Anything else (tsx's module-hooks thread) is "other threads".
 */
export function threadKinds(pid: number, namesFile: string | undefined): Map<number, ThreadKind> {
  const out = new Map<number, ThreadKind>();
  let lines: ThreadNameLine[] = [];
  try {
    if (namesFile) {
      lines = readFileSync(namesFile, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as ThreadNameLine);
    }
  } catch {
    // no file: every thread but the main one is "other"
  }
  const entries = new Map<number, string>();
  for (const l of lines) if (l.entry !== undefined) entries.set(l.threadId!, l.entry);
  for (const l of lines) {
    for (const t of l.v8 ?? []) out.set(t, 'V8 platform threads (GC, compiler)');
    for (const t of l.pool ?? []) out.set(t, 'libuv pool (async fs, crypto, zlib)');
    if (l.tid === undefined || l.tid === pid) continue;
    const entry = entries.get(l.threadId!) ?? '';
    out.set(
      l.tid,
      /\/thread(-entry\.mjs|\.js)$/.test(entry)
        ? 'inspection thread'
        : entry.startsWith('eval:') && entry.includes('writeSync')
          ? 'raw archive writer thread'
          : 'other worker threads',
    );
  }
  out.set(pid, 'relay (main) thread');
  return out;
}

/** CPU per thread kind, summed over threads; threads not in `kinds` count as "other threads". */
export function cpuByKind(
  cpu: Map<number, ThreadCpu>,
  kinds: Map<number, ThreadKind>,
): Partial<Record<ThreadKind, ThreadCpu>> {
  const out: Partial<Record<ThreadKind, ThreadCpu>> = {};
  for (const [tid, t] of cpu) {
    const kind = kinds.get(tid) ?? 'other threads';
    const s = out[kind] ?? { ms: 0, sys: 0 };
    out[kind] = { ms: s.ms + t.ms, sys: s.sys + t.sys };
  }
  return out;
}
