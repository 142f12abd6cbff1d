/**
 * `npm run bench`: every benchmark of the project in one run, written to BENCHMARKS.md and
 * BENCHMARKS.json at the repository root; progress goes to stderr.
 *
 *   relay  (issue 2)  test/bench/relay-bench.ts  direct vs plain Node relay vs imapscope
 *   hub    (issue 6)  test/bench/hub.ts          viewer + archive on vs off, ingest, stalled viewer
 *   decode (issue 3)  test/bench/decode.ts       proxy/wire vs imapflow's parser, in process
 *   TLS    (issue 5)  test/bench/tls.ts          TLS on both legs, imapscope vs a plain TLS relay
 *   recovery (issue 11) test/bench/recovery.ts   restart after SIGKILL on a ~1 GB archive
 *   startup (issue 15) test/bench/startup.ts     --help, spawn to ready, idle RSS: compiled vs tsx
 *   pipelined (issue 11) test/bench/pipelined-noops.ts  inspection time for 100,000 pipelined NOOPs
 *
 * Every section that relays through imapscope gives its inspection gap (bytes relayed but not
 * decoded) per subsection, gathered at the top of the report (test/bench/gap-section.ts, a
 * judged target: 0 MB); relay and TLS give imapscope's CPU beside their baseline's, in all and
 * thread by thread (test/bench/thread-names.cjs names the threads).
 *
 * BENCH_ONLY=relay,hub runs only the sections named; BENCH_RENDER=1 only rewrites
 * BENCHMARKS.md from BENCHMARKS.json (after a change to the report's wording); BENCH_OUT=DIR
 * writes (and renders from) DIR instead of the repository root.
 *
 * Relay and hub share one private Dovecot (prepared once); TLS starts its own. A section that
 * throws is reported as "not measured: <reason>" and the run goes on. Exit code 0 whether or
 * not targets are met (the report says which); 1 only if the run itself broke.
 */
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDovecot } from '../helpers/dovecot.ts';
import type { Dovecot } from '../helpers/dovecot.ts';
import { benchHub } from './hub.ts';
import { benchRecovery } from './recovery.ts';
import { benchRelay } from './relay-bench.ts';
import { machineInfo, reportDir, savedReport, verdicts, writeReports } from './report.ts';
import { benchStartup } from './startup.ts';
import { benchPipelinedNoops } from './pipelined-noops.ts';
import type { Outcome, Report } from './report.ts';
import { progress } from './stats.ts';
import { BULK_MESSAGES, prepareMail, SMALL_MESSAGES } from './workload.ts';

function reason(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 300);
}

/**
 * Longest a section may take before it is reported as not measured. 300 s: with lossless
 * inspection the TLS section's TLS+COMPRESS rounds run at inspection's pace and passed 150 s.
 */
const SECTION_TIMEOUT_MS = 300_000;

/**
 * Runs one section; a throw or a hang past SECTION_TIMEOUT_MS becomes "not measured" and the
 * run goes on (a hung section's child processes are ended by {@link endChildren} at the end).
 */
async function section<T>(
  name: string,
  fn: () => Promise<T>,
  timeoutMs = SECTION_TIMEOUT_MS,
): Promise<Outcome<T>> {
  // BENCH_ONLY=relay,hub runs just those sections (for quick iterations; the report says so).
  const only = process.env.BENCH_ONLY?.split(',').map((s) => s.trim());
  if (only && name !== 'Dovecot' && !only.includes(name)) {
    return { ok: false, reason: 'skipped (BENCH_ONLY)' };
  }
  // The shared Dovecot serves only relay, hub and recovery.
  if (only && name === 'Dovecot' && !['relay', 'hub', 'recovery'].some((n) => only.includes(n))) {
    return { ok: false, reason: 'skipped (BENCH_ONLY names neither relay, hub nor recovery)' };
  }
  const start = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs / 1000} s`)), timeoutMs);
  });
  try {
    const value = await Promise.race([fn(), timeout]);
    progress(`${name}: done in ${((Date.now() - start) / 1000).toFixed(0)} s`);
    return { ok: true, value };
  } catch (err) {
    progress(`${name}: not measured: ${reason(err)}`);
    if (err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    return { ok: false, reason: reason(err) };
  } finally {
    clearTimeout(timer);
  }
}

/** SIGTERMs the processes this run started that are still there (a hung section's), by pid. */
function endChildren(): void {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid) process.kill(Number(entry), 'SIGTERM');
    } catch {
      // gone already
    }
  }
}

/**
 * Imports a section module that may be absent or still changing, and calls its exported
 * function. The specifier is computed so that the type checker does not depend on the file.
 */
async function optional(file: string, exported: string, args: unknown[]): Promise<unknown[]> {
  const specifier = new URL(file, import.meta.url).href;
  const mod = (await import(specifier)) as Record<string, unknown>;
  const fn = mod[exported];
  if (typeof fn !== 'function') throw new Error(`test/bench/${file} exports no ${exported}()`);
  const rows = (await (fn as (...a: unknown[]) => Promise<unknown>)(...args)) as unknown;
  return Array.isArray(rows) ? (rows as unknown[]) : [rows];
}

/** BENCH_RENDER=1: BENCHMARKS.md again from BENCHMARKS.json, same figures, no measuring. */
async function render(): Promise<void> {
  const saved = JSON.parse(
    readFileSync(path.join(reportDir(), 'BENCHMARKS.json'), 'utf8'),
  ) as Report;
  const { machine, relay, hub, decode, tls, recovery, startup, pipelined, archiveScale } = saved;
  const written = await writeReports({
    machine,
    relay,
    hub,
    decode,
    tls,
    recovery,
    startup,
    pipelined,
    archiveScale,
  });
  progress(`rewrote ${written.md} from the figures in ${written.json} (nothing measured)`);
}

async function main(): Promise<void> {
  if (process.env.BENCH_RENDER === '1') return render();
  const machine = machineInfo();
  progress(`node ${machine.node}, ${machine.cores} × ${machine.cpu}, load ${machine.loadAtStart}`);

  let dovecot: Dovecot | undefined;
  process.once('SIGINT', () => {
    void (dovecot?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
  });
  const mail = await section('Dovecot', async () => {
    progress('starting Dovecot');
    dovecot = await startDovecot();
    progress(
      `appending ${BULK_MESSAGES} × 5 MiB to ${dovecot.user}'s INBOX and ` +
        `${SMALL_MESSAGES} small messages to ${dovecot.user2.user}'s INBOX`,
    );
    await prepareMail(dovecot);
    return dovecot;
  });
  const withMail =
    <T>(fn: (d: Dovecot) => Promise<T>) =>
    () =>
      mail.ok ? fn(mail.value) : Promise.reject(new Error(`no Dovecot: ${mail.reason}`));

  let report: Report;
  try {
    // (d)'s 1,000 sessions per relay come on top of (a)–(c).
    const relay = await section('relay', withMail(benchRelay), 600_000);
    const hub = await section('hub', withMail(benchHub));
    // Building its ~1 GB archive alone takes a minute on a quiet machine, several on a busy one.
    const recovery = await section('recovery', withMail(benchRecovery), 900_000);
    await dovecot?.stop();
    dovecot = undefined;
    const decode = await section('decode', () => optional('./decode.ts', 'benchDecode', []));
    const tls = await section('tls', () =>
      optional('./tls.ts', 'benchTls', [(m: string) => progress(`  ${m}`)]),
    );
    const startup = await section('startup', benchStartup);
    const pipelined = await section('pipelined', async () => benchPipelinedNoops());
    // Measured only by `ARCHIVE_REPORT=1 npm run bench:archive`: the last figures carry over.
    const archiveScale = savedReport()?.archiveScale;
    report = { machine, relay, hub, decode, tls, recovery, startup, pipelined, archiveScale };
  } finally {
    await dovecot?.stop().catch(() => undefined);
  }

  const written = await writeReports(report);
  progress(`wrote ${written.md} and ${written.json}`);
  const all = verdicts(report);
  for (const v of all) progress(`  ${v.pass ? 'pass' : 'FAIL'}: ${v.section}: ${v.figure}`);
  const missed = all.filter((v) => !v.pass).length;
  const skipped = (
    ['relay', 'hub', 'decode', 'tls', 'recovery', 'startup', 'pipelined'] as const
  ).filter((k) => !report[k]?.ok);
  progress(
    (missed === 0 ? 'all judged targets met' : `${missed} target(s) missed`) +
      (skipped.length > 0 ? `; not measured: ${skipped.join(', ')}` : '') +
      `; load now ${os.loadavg().map((l) => l.toFixed(2))}`,
  );
}

main().then(
  () => {
    endChildren();
    process.exit(0);
  },
  (err: unknown) => {
    process.stderr.write(
      `bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  },
);
