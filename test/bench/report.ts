/**
 * BENCHMARKS.md and BENCHMARKS.json from the sections of one `npm run bench` run. Each section
 * has a one-line "how measured" and a table with the figure, its ratio to the baseline measured
 * in the same run, the target and the result; a section that could not run says why.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ArchiveScaleResult } from './archive-scale-section.ts';
import { archiveScaleSection, archiveScaleVerdicts } from './archive-scale-section.ts';
import { gapSection, gapVerdict } from './gap-section.ts';
import type { HubResult } from './hub.ts';
import type { RecoveryResult } from './recovery.ts';
import type { RelayResult } from './relay-bench.ts';
import type { StartupResult } from './startup.ts';
import type { PipelinedNoopsRow } from './pipelined-noops.ts';
import {
  decodeSection,
  decodeVerdicts,
  fmt,
  hubSection,
  recoverySection,
  isDecodeRows,
  isTlsRows,
  relaySection,
  startupSection,
  pipelinedSection,
  tlsSection,
} from './sections.ts';
import type { Outcome } from './sections.ts';
import {
  BULK_ROUNDS,
  BULK_WARMUPS,
  NOOP_BLOCKS,
  NOOP_COUNT,
  NOOP_WARMUP,
  SESSION_ROUNDS,
} from './relay-bench.ts';
import {
  BULK_MESSAGE_BYTES,
  BULK_MESSAGES,
  REPO_ROOT,
  SESSION_FETCH,
  SESSIONS,
  SMALL_MESSAGES,
} from './workload.ts';

export type { Outcome } from './sections.ts';

export interface Machine {
  date: string;
  node: string;
  cpu: string;
  cores: number;
  memoryGiB: number;
  kernel: string;
  commit: string;
  loadAtStart: number[];
}

export interface Report {
  machine: Machine;
  relay: Outcome<RelayResult>;
  hub: Outcome<HubResult>;
  decode: Outcome<unknown[]>;
  tls: Outcome<unknown[]>;
  /** Absent in reports written before the section existed. */
  recovery?: Outcome<RecoveryResult>;
  /** Absent in reports from before issue 15. */
  startup?: Outcome<StartupResult>;
  /** Absent in reports from before the section existed. */
  pipelined?: Outcome<PipelinedNoopsRow[]>;
  /** From `ARCHIVE_REPORT=1 npm run bench:archive`; `npm run bench` carries it over. */
  archiveScale?: Outcome<ArchiveScaleResult>;
}

/** One judged figure, for the summary on stderr. */
export interface Verdict {
  section: string;
  figure: string;
  pass: boolean;
}

export function machineInfo(): Machine {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    node: process.version,
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: `${os.type()} ${os.release()}`,
    commit: gitCommit(),
    loadAtStart: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

/** The checked-out commit, and whether the working tree differs from it. */
function gitCommit(): string {
  try {
    const git = (...args: string[]): string =>
      execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
    const head = git('rev-parse', '--short', 'HEAD');
    return git('status', '--porcelain').length > 0 ? `${head} (working tree modified)` : head;
  } catch {
    return 'unknown';
  }
}

// Writing ----------------------------------------------------------------------------------

export function verdicts(report: Report): Verdict[] {
  const out: Verdict[] = [];
  if (report.relay.ok) {
    const r = report.relay.value;
    for (const [name, rows] of [
      ['bulk FETCH', r.bulk],
      ['bulk FETCH CPU ms/MB', r.cpuPerMB ?? []],
      ['NOOP p50', r.p50],
      ['200 sessions', r.sessions],
      ['1,000 sessions', r.many ?? []],
    ] as const) {
      for (const x of rows) {
        if (x.path === 'imapscope' && x.pass !== null) {
          out.push({ section: 'relay', figure: `${name} ${fmt(x.ratio, 2)}×`, pass: x.pass });
        }
      }
    }
  }
  if (report.decode.ok && isDecodeRows(report.decode.value)) {
    for (const v of decodeVerdicts(report.decode.value)) {
      if (v.pass !== null)
        out.push({
          section: 'decode',
          figure: `${v.cells[0]} ${v.cells[2]} MB/s, ${v.cells[4]} imapflow (target ${v.cells[5]})`,
          pass: v.pass,
        });
    }
  }
  if (report.tls.ok && isTlsRows(report.tls.value)) {
    for (const r of report.tls.value) {
      if (r.pass !== null) {
        const figure = `${r.compress ? 'compress ' : ''}${fmt(r.ratioToPlainRelay, 2)}×`;
        out.push({ section: 'tls', figure, pass: r.pass });
      }
    }
  }
  if (report.hub.ok) {
    for (const r of report.hub.value.rows) {
      if (r.pass !== null)
        out.push({
          section: 'hub',
          figure: `${r.figure} ${r.value}${r.ratio === null ? '' : ` (${fmt(r.ratio, 2)}× ${r.baseline})`}`,
          pass: r.pass,
        });
    }
  }
  if (report.startup?.ok && report.startup.value.pass) {
    const r = report.startup.value;
    const compiled = r.rows.find((x) => x.path === 'compiled');
    const p = r.pass!;
    out.push(
      { section: 'startup', figure: `--help ${fmt(compiled?.helpMs ?? NaN)} ms`, pass: p.help },
      { section: 'startup', figure: `ready ${fmt(compiled?.readyMs ?? NaN)} ms`, pass: p.ready },
      {
        section: 'startup',
        figure: `idle RSS ${fmt((compiled?.idleRssBytes ?? NaN) / 2 ** 20)} MiB`,
        pass: p.idleRss,
      },
    );
  }
  if (report.pipelined?.ok) {
    const rows = report.pipelined.value;
    const first = rows[0];
    const last = rows[rows.length - 1];
    if (first && last) {
      // Linear: the cost per command at the largest size within 3× of the smallest's.
      const growth = last.pipelineMs / last.commands / (first.pipelineMs / first.commands);
      out.push({
        section: 'pipelined',
        figure: `${fmt(last.commands)} pipelined NOOPs inspected in ${fmt(last.pipelineMs)} ms (${fmt(growth, 2)}× the per-command cost at ${fmt(first.commands)})`,
        pass: growth <= 3,
      });
    }
  }
  for (const v of archiveScaleVerdicts(report.archiveScale)) {
    out.push({ section: 'archive-scale', ...v });
  }
  const gap = gapVerdict(report, viewerFigures());
  if (gap) {
    out.push({
      section: 'inspection gap',
      figure: `${gap.pass ? '0 MB' : 'bytes not decoded'} in ${gap.measured} subsections through imapscope`,
      pass: gap.pass,
    });
  }
  return out;
}

async function formatted(text: string, filepath: string): Promise<string> {
  try {
    const prettier = await import('prettier');
    const options = (await prettier.resolveConfig(filepath)) ?? {};
    return await prettier.format(text, { ...options, filepath });
  } catch {
    return text;
  }
}

/**
 * The viewer's figures (issue 7) come from a browser run of their own
 * (`node --import tsx test/viewer/figures.ts`, which needs Chromium and writes
 * docs/viewer-figures.md); the latest of them is repeated here so every figure is in one file.
 */
function viewerSection(): string[] {
  const figures = viewerFigures();
  if (figures === undefined)
    return ['## Viewer (issue 7)', '', 'Not measured: docs/viewer-figures.md is missing.', ''];
  const body = figures.replace(/^# .*\n/, '').trim();
  return ['## Viewer (issue 7)', '', body, ''];
}

/** docs/viewer-figures.md, or undefined when it is missing. */
function viewerFigures(): string | undefined {
  const file = path.join(REPO_ROOT, 'docs', 'viewer-figures.md');
  return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
}

/**
 * Where BENCHMARKS.md and BENCHMARKS.json are written (and BENCH_RENDER=1 reads the figures):
 * the repository root, or the directory BENCH_OUT names (a trial run that must not touch the
 * committed report, e.g. `BENCH_ONLY=tls BENCH_OUT=/tmp/b npm run bench`).
 */
export function reportDir(): string {
  return process.env.BENCH_OUT ? path.resolve(process.env.BENCH_OUT) : REPO_ROOT;
}

/** The figures of the last run (BENCHMARKS.json), or undefined when there are none. */
export function savedReport(): Report | undefined {
  const file = path.join(REPO_ROOT, 'BENCHMARKS.json');
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as Report;
}

export async function writeReports(report: Report): Promise<{ md: string; json: string }> {
  const m = report.machine;
  const md = [
    '# Benchmarks',
    '',
    '_Generated by `npm run bench` (test/bench/run.ts); do not edit by hand, run it again._',
    '',
    `- Date: ${m.date}`,
    `- Node: ${m.node}`,
    `- CPU: ${m.cpu}, ${m.cores} cores (as seen by Node), ${m.memoryGiB} GiB RAM`,
    `- Load average at start: ${m.loadAtStart.join(', ')}`,
    `- Kernel: ${m.kernel}`,
    `- Commit: ${m.commit}`,
    '- Upstream: a private Dovecot 2.3 from test/helpers/dovecot.ts on loopback (Maildir)',
    '',
    '**These machines are noisy** (shared, virtual, few cores: client, relays and Dovecot share ' +
      `${m.cores} cores). Figures move by tens of percent between runs; compare ratios within ` +
      'one run, not absolute figures across runs or machines.',
    '',
    ...gapSection(report, viewerFigures()),
    ...relaySection(report.relay),
    ...decodeSection(report.decode),
    ...tlsSection(report.tls),
    ...hubSection(report.hub),
    ...recoverySection(report.recovery ?? { ok: false, reason: 'not in this report' }),
    ...startupSection(report.startup),
    ...pipelinedSection(report.pipelined),
    ...archiveScaleSection(report.archiveScale),
    ...viewerSection(),
  ];
  const all = verdicts(report);
  const json = {
    machine: m,
    settings: {
      bulkMessages: BULK_MESSAGES,
      bulkMessageBytes: BULK_MESSAGE_BYTES,
      bulkRounds: BULK_ROUNDS,
      bulkWarmups: BULK_WARMUPS,
      noopCount: NOOP_COUNT,
      noopBlocks: NOOP_BLOCKS,
      noopWarmup: NOOP_WARMUP,
      sessions: SESSIONS,
      sessionFetch: SESSION_FETCH,
      smallMessages: SMALL_MESSAGES,
      sessionRounds: SESSION_ROUNDS,
    },
    relay: report.relay,
    decode: report.decode,
    tls: report.tls,
    hub: report.hub,
    recovery: report.recovery,
    startup: report.startup,
    pipelined: report.pipelined,
    archiveScale: report.archiveScale,
    targetsMet: all.every((v) => v.pass),
  };
  await mkdir(reportDir(), { recursive: true });
  const mdPath = path.join(reportDir(), 'BENCHMARKS.md');
  const jsonPath = path.join(reportDir(), 'BENCHMARKS.json');
  await writeFile(mdPath, await formatted(md.join('\n'), mdPath));
  await writeFile(jsonPath, await formatted(JSON.stringify(json, null, 2), jsonPath));
  return { md: mdPath, json: jsonPath };
}
