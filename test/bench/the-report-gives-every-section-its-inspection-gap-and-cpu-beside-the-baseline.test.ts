/**
 * The benchmark report's shape, without running a benchmark (those are `npm run bench`):
 * every section gives imapscope's inspection gap or says in one phrase why it has none, the
 * relay section splits CPU by thread beside the plain relay, the TLS section gives CPU per MB
 * side by side, and the thread-naming preload works on the real imapscope. Values are not
 * checked: only that the fields are there and shown.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startImapscope, type Imapscope } from '../helpers/imapscope.ts';
import { until } from '../helpers/poll.ts';
import { converse } from '../helpers/raw-imap.ts';
import { gapRows, gapSection, gapVerdict } from './gap-section.ts';
import type { RelayResult, RelayRow } from './relay-bench.ts';
import type { Report } from './report.ts';
import { hubSection, relaySection, tlsSection } from './sections.ts';
import { threadCpuMs, threadKinds } from './stats.ts';
import { threadNames } from './workload.ts';

const row = (path: RelayRow['path'], extra: Record<string, unknown> = {}): RelayRow => ({
  path,
  value: 1,
  ratio: 1,
  target: '',
  pass: null,
  extra,
});

function relay(gap: number): RelayResult {
  const cpu = (ms: number) => ({ ms, sys: ms / 2 });
  const threads = (unit: 'MB' | 'session') => ({
    unit,
    paths: [
      { path: 'plain relay' as const, byThread: { 'relay (main) thread': cpu(0.6) }, process: 0.6 },
      {
        path: 'imapscope' as const,
        byThread: {
          'relay (main) thread': cpu(0.8),
          'inspection thread': cpu(0.7),
          'V8 platform threads (GC, compiler)': cpu(0.2),
        },
        process: 1.7,
      },
    ],
  });
  return {
    bulk: (['direct', 'plain relay', 'imapscope'] as const).map((p) =>
      row(p, { samplesMBps: [1], relayCpuMsPerMB: 1 }),
    ),
    p50: [row('plain relay'), row('imapscope')],
    p99: [row('plain relay'), row('imapscope')],
    sessions: [row('plain relay'), row('imapscope')].map((r) => ({
      ...r,
      extra: { totalMsPerRound: [1], completedPerRound: [200], errors: [] },
    })),
    cpuPerMB: [row('plain relay'), row('imapscope')],
    cpuPerSession: [row('plain relay'), row('imapscope')],
    many: [row('plain relay'), row('imapscope')].map((r) => ({
      ...r,
      extra: { completed: 1000, lost: 0, summaryLagMs: 0, cpuMsPerSession: 1, errors: [] },
    })),
    pipelined: (['direct', 'plain relay', 'imapscope'] as const).map((p) =>
      row(p, { msPerRound: [1], cpuMsPer1000: 1 }),
    ),
    imapscopeWarnings: 0,
    inspectionGaps: 0,
    inspectionGapBytes: gap,
    gapBytes: { bulk: gap, noop: 0, sessions: 0, many: 0, pipelined: 0 },
    threads: { bulk: threads('MB'), sessions: threads('session') },
    intrinsic: { sha256MsPerMB: 1, appendMsPerMB: 1 },
  };
}

const tlsRows = [false, true].flatMap((compress) =>
  (['plain TLS relay', 'imapscope', 'relay only'] as const).map((path) => ({
    compress,
    path,
    mbPerS: 100,
    samplesMBps: [100],
    ratioToPlainRelay: 1,
    target: null,
    pass: null,
    cpuMsPerMB: 2.5,
    cpuRatioToPlainRelay: 1.25,
    gapBytes: path === 'imapscope' ? 0 : null,
    cpuByThread: { 'relay (main) thread': { ms: 2, sys: 1 } },
  })),
);

const hubDetails = {
  ingest: { withRaw: { rawMB: 1, maxFlushMs: 1 }, templateEvents: 1 },
  stall: {
    hwm: 1,
    hwmReset: true,
    firstHalfPeak: 1,
    secondHalfPeak: 1,
    rssBefore: { stalled: 1, twin: 1 },
    baseHalves: [1, 1],
    sessions: { stalled: 1, twin: 1 },
    viewerAfterResume: { eventsDelivered: 1, gapNotices: 0, skipped: 0 },
  },
  viewerGapsWhileReading: 0,
  rssAfterTraffic: {},
  inspectionGapBytes: { 'hub on': 0, 'hub off': 0 },
  gapBytes: {
    sessions: { 'hub on': 0, 'hub off': 0 },
    bulk: { 'hub on': 0, 'hub off': 0 },
    stall: { stalled: 0, twin: 0 },
  },
  sessionsIncomplete: 0,
};

function report(relayGap = 0): Report {
  return {
    machine: {
      date: '',
      node: '',
      cpu: '',
      cores: 2,
      memoryGiB: 1,
      kernel: '',
      commit: '',
      loadAtStart: [0],
    },
    relay: { ok: true, value: relay(relayGap) },
    hub: { ok: true, value: { rows: [], details: hubDetails } },
    decode: { ok: true, value: [] },
    tls: { ok: true, value: tlsRows },
    startup: { ok: false, reason: 'skipped (BENCH_ONLY)' },
    pipelined: { ok: true, value: [] },
  };
}

describe('the benchmark report', () => {
  it('gives every subsection that relays through imapscope its gap, and every other section n/a with why', () => {
    const rows = gapRows(report());
    const measured = rows.filter((r) => typeof r.gap === 'number').map((r) => r.subsection);
    expect(measured).toEqual([
      '(a) bulk FETCH',
      '(b) NOOP round-trips',
      '(c) 200 concurrent sessions',
      '(d) 1,000 concurrent sessions',
      '(e) 10,000 pipelined NOOPs',
      'TLS both legs',
      'TLS both legs + COMPRESS',
      '200-session rounds, viewer + archive on',
      '200-session rounds, archive off',
      'bulk FETCH, viewer + archive on',
      'bulk FETCH, archive off',
      'stalled viewer',
      'stalled viewer: its twin',
    ]);
    const sections = new Set(rows.map((r) => r.section));
    for (const s of ['decoder', 'start-up', 'pipelined commands', 'archive at scale', 'viewer'])
      expect(sections).toContain(s);
    const text = gapSection(report()).join('\n');
    expect(text).toMatch(/\| decoder \| — \| n\/a: \w/);
    expect(text).toMatch(/\| start-up \| — \| n\/a: \w/);
    expect(text).toMatch(/\| crash recovery \| — \| not in this report/);
  });

  it('passes the gap target only when every measured gap is 0', () => {
    expect(gapVerdict(report(0))?.pass).toBe(true);
    expect(gapVerdict(report(4096))?.pass).toBe(false);
  });

  it("shows the relay's gap per subsection and imapscope's CPU per thread beside the plain relay's", () => {
    const text = relaySection({ ok: true, value: relay(0) }).join('\n');
    expect(text.match(/Inspection gap through imapscope[^\n]*\*\*0 MB\*\*/g)).toHaveLength(5);
    expect(text).toContain('### (f) Where the time goes');
    expect(text).toMatch(/\| Thread +\| plain relay CPU ms\/MB +\| of it kernel +\| imapscope CPU/);
    expect(text).toMatch(/\| inspection thread +\| 0 /);
    expect(text).toContain('imapscope CPU ms/session');
  });

  it('shows the TLS CPU per MB side by side with its ratio, and the gap where imapscope inspects', () => {
    const text = tlsSection({ ok: true, value: tlsRows }).join('\n');
    expect(text).toMatch(/CPU ms\/MB +\| CPU ratio to plain TLS relay +\| Inspection gap/);
    expect(text).toMatch(/\| imapscope .*\| 2\.50 +\| 1\.25× +\| \*\*0 MB\*\*/);
    expect(text).toMatch(/\| relay only .*\| n\/a \(no inspection\)/);
    expect(text).toMatch(/\| Thread +\| plain TLS relay CPU ms\/MB .*\| imapscope CPU ms\/MB /);
  });

  it("shows the hub's gap phase by phase", () => {
    const text = hubSection({ ok: true, value: { rows: [], details: hubDetails } }).join('\n');
    expect(text.match(/\*\*0 MB\*\*/g)).toHaveLength(6);
  });

  it('renders a report from before these figures, saying they were not recorded', () => {
    const old = report();
    const r = old.relay.ok ? old.relay.value : relay(0);
    delete r.gapBytes;
    delete r.threads;
    expect(relaySection({ ok: true, value: r }).join('\n')).toContain('not recorded');
    expect(gapRows(old).some((x) => String(x.gap).startsWith('not recorded'))).toBe(true);
  });
});

describe('the thread-naming preload', () => {
  let scope: Imapscope | undefined;
  afterEach(async () => {
    await scope?.stop();
  });

  it("tells imapscope's relay, inspection and raw writer threads, V8's and libuv's apart", async () => {
    const names = threadNames('smoke');
    try {
      scope = await startImapscope([], names.env, names.nodeArgs);
      const pid = scope.process.pid!;
      // A session through the practice server: its raw bytes start the archive's writer.
      await converse(scope.listen.host, scope.listen.port, ['LOGIN learner practice', 'LOGOUT']);
      const seen = await until('the raw archive writer thread', async () => {
        const kinds = threadKinds(pid, names.file);
        const seen = new Set([...threadCpuMs(pid).keys()].map((tid) => kinds.get(tid)));
        return seen.has('raw archive writer thread') ? seen : undefined;
      });
      expect([...seen].sort()).toEqual(
        [
          'relay (main) thread',
          'inspection thread',
          'raw archive writer thread',
          // tsx's module-hooks threads, one per thread that registers tsx
          'other worker threads',
          'V8 platform threads (GC, compiler)',
          'libuv pool (async fs, crypto, zlib)',
        ].sort(),
      );
    } finally {
      names.remove();
    }
  });
});
