/**
 * The sections of BENCHMARKS.md: a one-line "how measured", then a table with each figure, its
 * ratio to the baseline measured in the same run, the target and the result.
 */
import type { HubResult } from './hub.ts';
import type { RecoveryResult } from './recovery.ts';
import type { RelayResult, RelayRow, ThreadCpuTable } from './relay-bench.ts';
import { THREAD_KINDS } from './stats.ts';
import type { ThreadKind } from './stats.ts';
import type { StartupResult } from './startup.ts';
import type { PipelinedNoopsRow } from './pipelined-noops.ts';
import { HELP_TARGET_MS, IDLE_RSS_TARGET_BYTES, READY_TARGET_MS } from './startup.ts';
import {
  BULK_ROUNDS,
  BULK_WARMUPS,
  MANY_SESSIONS,
  NOOP_BLOCKS,
  PIPELINED_NOOPS,
  PIPELINED_ROUNDS,
  NOOP_COUNT,
  NOOP_WARMUP,
  SESSION_ROUNDS,
} from './relay-bench.ts';
import {
  BULK_MESSAGE_BYTES,
  BULK_MESSAGES,
  SESSION_FETCH,
  SESSIONS,
  SMALL_MESSAGES,
} from './workload.ts';

/** What a section's function returned, or why it did not. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; reason: string };

export function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

function verdict(pass: boolean | null | undefined): string {
  return pass === null || pass === undefined ? '—' : pass ? 'pass' : '**FAIL**';
}

function table(header: string[], rows: string[][]): string {
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

const cell = (v: unknown): string =>
  typeof v === 'number'
    ? fmt(v, Number.isInteger(v) ? 0 : 2)
    : typeof v === 'string'
      ? v.replaceAll('|', '\\|')
      : JSON.stringify(v ?? '');

/** Rows of any shape as a table (for a section whose rows changed shape). */
function genericTable(rows: unknown[]): string {
  const objects = rows.filter((r): r is Record<string, unknown> => typeof r === 'object' && !!r);
  if (objects.length === 0) return '_(no rows)_';
  const keys = [...new Set(objects.flatMap((o) => Object.keys(o)))];
  return table(
    keys,
    objects.map((o) => keys.map((k) => cell(o[k]))),
  );
}

const mib = (b: number | undefined): string =>
  b === undefined || Number.isNaN(b) ? '?' : `${fmt(b / 2 ** 20)} MiB`;

const notMeasured = (o: { reason: string }): string => `_Not measured in this run: ${o.reason}._`;

/** Why a section that relays nothing through imapscope has no inspection gap: one phrase each. */
export const GAP_NA = {
  decoder: 'in process, nothing relayed',
  restarts: 'only a greeting relayed per start',
  startup: 'no session relayed',
  pipelined: "SessionPipeline in process, nothing relayed; the relay section's (e) relays them",
  archiveScale: 'queries a generated archive, nothing relayed',
  viewer: 'docs/viewer-figures.md predates the figure (test/viewer/figures.ts writes it)',
} as const;

/** The line a section that relays nothing through imapscope ends with. */
export const gapNa = (why: string): string => `Inspection gap: n/a (${why}).`;

/** An inspection gap in MB (10^6 bytes): exactly "0 MB" when nothing was lost. */
export function gapMB(bytes: number): string {
  return bytes === 0 ? '0 MB' : `${fmt(bytes / 1e6, 3)} MB`;
}

/** The line under a subsection that relayed through imapscope: its inspection gap. */
function gapLine(bytes: number | undefined, through = 'imapscope'): string {
  return bytes === undefined
    ? `Inspection gap through ${through}: not recorded in this report.`
    : `Inspection gap through ${through} (bytes relayed but not decoded): **${gapMB(bytes)}**.`;
}

// Relay ------------------------------------------------------------------------------------

function relayRatio(r: RelayRow): string {
  return r.path === 'plain relay' ? '1.00× (baseline)' : `${fmt(r.ratio, 2)}×`;
}

/**
 * Why the bulk ratio is what it is: the per-byte work imapscope must do, measured in the same
 * run, against the extra CPU per MB it used over the plain relay.
 */
function intrinsicNote(r: RelayResult): string {
  const cpu = (name: string): number | undefined =>
    r.bulk.find((x) => x.path === name)?.extra?.relayCpuMsPerMB as number | undefined;
  const scope = cpu('imapscope');
  const plain = cpu('plain relay');
  const { sha256MsPerMB: sha, appendMsPerMB: append } = r.intrinsic;
  const extra =
    scope !== undefined && plain !== undefined
      ? ` Against these: imapscope used ${fmt(scope - plain, 2)} ms/MB more CPU than the plain relay.`
      : '';
  return (
    'Per-byte work a relay does not do and imapscope must (the archive keeps the raw bytes; ' +
    'with --literal-hashes, off by default, the framer also keeps a SHA-256 of every literal ' +
    'body), measured in the benchmark process in CPU ' +
    `time over the same 105 MB in 64 KiB pieces, right after the relay rounds: SHA-256 ` +
    `${fmt(sha, 2)} ms/MB, appending to a raw segment file ${fmt(append, 2)} ms/MB (the page ` +
    "cache is as imapscope's own archive left it, so writeback can make this several times " +
    `its figure on an idle disk).${extra} When the client, Dovecot and the relay already keep ` +
    'every core busy (2 cores here), that CPU comes out of throughput; on a machine with a ' +
    'spare core the inspection thread runs beside the relay instead.'
  );
}

function cpuTable(rows: RelayRow[], unit: string, digits = 2): string {
  return table(
    ['Path', unit, 'Ratio to plain relay', 'Target', 'Result'],
    rows.map((x) => [
      x.path,
      fmt(x.value, digits),
      relayRatio(x),
      x.target || '—',
      verdict(x.pass),
    ]),
  );
}

function manySection(rows: RelayRow[]): string[] {
  return [
    `### (d) ${fmt(MANY_SESSIONS)} concurrent sessions`,
    '',
    `${fmt(MANY_SESSIONS)} sessions of (c)'s kind started at once, one round per relay (after a ` +
      "2 s pause for Dovecot to reap (c)'s processes). A session is lost when it did not " +
      'complete or, through imapscope, when no per-session summary line ("session close", ' +
      'info) came for it (waited for while they keep coming, until 30 s pass without one; ' +
      '"Last summary" is how long after the last session closed the last one came: how far ' +
      'inspection trailed the relay). CPU time counts until then.',
    '',
    table(
      [
        'Path',
        'Total time (ms)',
        'Ratio to plain relay',
        'Completed',
        'Lost',
        'Last summary (ms after)',
        'CPU ms/session',
        'Target',
        'Result',
      ],
      rows.map((x) => [
        x.path,
        fmt(x.value),
        relayRatio(x),
        `${fmt(x.extra!.completed as number)}/${fmt(MANY_SESSIONS)}`,
        fmt(x.extra!.lost as number),
        typeof x.extra!.summaryLagMs === 'number' ? fmt(x.extra!.summaryLagMs) : '—',
        x.extra!.cpuMsPerSession === null ? '—' : fmt(x.extra!.cpuMsPerSession as number, 2),
        x.target || '—',
        verdict(x.pass),
      ]),
    ),
    '',
    ...rows.flatMap((x) =>
      (x.extra!.errors as string[]).length > 0
        ? [`Errors on ${x.path}: ${(x.extra!.errors as string[]).join('; ')}`, '']
        : [],
    ),
  ];
}

/** One "where the time goes" table: CPU per unit by kind of thread, each relaying process. */
function threadCpuTable(t: ThreadCpuTable): string {
  const unit = `CPU ms/${t.unit}`;
  const kinds = THREAD_KINDS.filter((k) => t.paths.some((p) => (p.byThread[k]?.ms ?? 0) > 0));
  const cells = (v: { ms: number; sys: number } | undefined): string[] =>
    v === undefined ? ['0', '0'] : [fmt(v.ms, 2), fmt(v.sys, 2)];
  const sum = (p: ThreadCpuTable['paths'][number]): { ms: number; sys: number } =>
    Object.values(p.byThread).reduce((a, v) => ({ ms: a.ms + v.ms, sys: a.sys + v.sys }), {
      ms: 0,
      sys: 0,
    });
  return table(
    ['Thread', ...t.paths.flatMap((p) => [`${p.path} ${unit}`, 'of it kernel'])],
    [
      ...kinds.map((k) => [k, ...t.paths.flatMap((p) => cells(p.byThread[k]))]),
      ['all threads', ...t.paths.flatMap((p) => cells(sum(p)))],
      ['whole process (/proc/PID/stat)', ...t.paths.flatMap((p) => [fmt(p.process, 2), '—'])],
    ],
  );
}

/** (e): pipelined NOOPs, every path, time and CPU; not judged. */
function pipelinedRelaySection(rows: RelayRow[], gap: number | undefined): string[] {
  return [
    `### (e) ${fmt(PIPELINED_NOOPS)} pipelined NOOPs`,
    '',
    `${fmt(PIPELINED_NOOPS)} \`NOOP\`s written at once on one connection per path (after LOGIN, ` +
      `SELECT INBOX and one such warm-up), ${PIPELINED_ROUNDS} rounds interleaved; time from the ` +
      'write to the last completion, median; CPU of the relaying process per 1,000 commands ' +
      'over the rounds. Not judged: here commands come faster than one per round-trip, so ' +
      'inspection has the most to keep up with per byte.',
    '',
    table(
      ['Path', 'Time (ms, median)', 'Rounds (ms)', 'Ratio to plain relay', 'CPU ms/1,000 commands'],
      rows.map((x) => [
        x.path,
        fmt(x.value),
        (x.extra!.msPerRound as number[]).map((v) => fmt(v)).join(', '),
        relayRatio(x),
        typeof x.extra!.cpuMsPer1000 === 'number' ? fmt(x.extra!.cpuMsPer1000, 2) : '—',
      ]),
    ),
    '',
    gapLine(gap),
    '',
  ];
}

/** (f): imapscope's CPU by thread beside the plain relay's, for (a) per MB and (c) per session. */
function whereTimeGoes(t: { bulk: ThreadCpuTable; sessions: ThreadCpuTable }): string[] {
  return [
    '### (f) Where the time goes',
    '',
    'CPU time of each relaying process thread by thread (user + system from ' +
      '/proc/PID/task/TID/stat, in 10 ms ticks), over the same windows as the CPU tables of (a) ' +
      'and (c). Node 20 names every thread "node", so both processes preload ' +
      'test/bench/thread-names.cjs, which records which thread is the main one (the relay, ' +
      "and the plain relay's only JavaScript thread), which worker runs which entry (the " +
      "inspection thread, the raw archive's writer), which threads existed before any " +
      "JavaScript ran (V8's platform threads: concurrent GC and compiler jobs) and which " +
      "libuv's pool added when the preload started it. 'Whole process' is /proc/PID/stat over " +
      'the same windows (it also counts threads that ended). On a machine with 2 cores, ' +
      "everything above the plain relay's total competes with the client and Dovecot for them.",
    '',
    '(a) bulk FETCH, per MB relayed:',
    '',
    threadCpuTable(t.bulk),
    '',
    `(c) ${SESSIONS} concurrent sessions, per session:`,
    '',
    threadCpuTable(t.sessions),
    '',
  ];
}

export function relaySection(o: Outcome<RelayResult>): string[] {
  const head = [
    '## Relay (issue 2)',
    '',
    'How measured: direct vs a plain Node `pipe()` relay vs imapscope, each its own process, to ' +
      'the same Dovecot, interleaved round by round; ratios are to the plain relay of this run.',
    '',
    '- **direct**: the benchmark client talks to Dovecot itself;',
    '- **plain relay**: test/bench/relay.ts, `c.pipe(u).pipe(c)` with `setNoDelay(true)` on both ' +
      'sockets;',
    '- **imapscope**: the real `imapscope` command (proxy/imapscope.mjs) at its default log ' +
      'level (info), decoding everything, with its archive on (the default) and no viewer.',
    '',
    'The client is a small raw-socket IMAP driver (test/bench/imap-driver.ts): one command in ' +
      'flight, responses scanned only for line ends, literal bodies skipped by their `{n}` ' +
      'count, so the client is not the bottleneck.',
    '',
  ];
  if (!o.ok) return [...head, notMeasured(o), ''];
  const r = o.value;
  return [
    ...head,
    '### (a) Bulk FETCH',
    '',
    `${BULK_MESSAGES} messages of 5 MiB (random base64 bodies) APPENDed once; then, on one ` +
      `connection per path, \`UID FETCH 1:${BULK_MESSAGES} BODY.PEEK[]\` (about ` +
      `${fmt((BULK_MESSAGES * BULK_MESSAGE_BYTES) / 1e6)} MB), ${BULK_WARMUPS} warm-ups and ` +
      `${BULK_ROUNDS} timed rounds; the figure is the median. MB/s counts every byte received ` +
      'from sending the command to its tagged OK, MB = 10^6 bytes.',
    '',
    table(
      ['Path', 'MB/s (median)', 'Rounds (MB/s)', 'Ratio to plain relay', 'Target', 'Result'],
      r.bulk.map((x) => [
        x.path,
        fmt(x.value),
        (x.extra!.samplesMBps as number[]).map((v) => fmt(v)).join(', '),
        relayRatio(x),
        x.target || '—',
        verdict(x.pass),
      ]),
    ),
    '',
    ...(r.cpuPerMB
      ? [
          'CPU time (user + system, from /proc) of the relaying process per MB relayed during ' +
            'the timed rounds, side by side:',
          '',
          cpuTable(r.cpuPerMB, 'CPU ms/MB'),
        ]
      : [
          'CPU time of the relaying process per MB relayed during the timed rounds: ' +
            r.bulk
              .filter((x) => x.extra!.relayCpuMsPerMB !== undefined)
              .map((x) => `${x.path} ${fmt(x.extra!.relayCpuMsPerMB as number, 2)} ms/MB`)
              .join(', ') +
            '.',
        ]),
    '',
    intrinsicNote(r),
    '',
    gapLine(r.gapBytes?.bulk),
    '',
    '### (b) NOOP round-trips',
    '',
    `${NOOP_COUNT} sequential \`NOOP\`s on one connection per path (after LOGIN, SELECT INBOX ` +
      `and ${NOOP_WARMUP} warm-up NOOPs), timed from write to tagged OK, in ${NOOP_BLOCKS} ` +
      'blocks interleaved with the other paths. Nearest-rank percentiles.',
    '',
    table(
      ['Path', 'p50 (µs)', 'p50 ratio', 'p99 (µs)', 'p99 ratio', 'Target (p50)', 'Result'],
      r.p50.map((r50, i) => {
        const r99 = r.p99[i]!;
        return [
          r50.path,
          fmt(r50.value),
          relayRatio(r50),
          fmt(r99.value),
          relayRatio(r99),
          r50.target || '—',
          verdict(r50.pass),
        ];
      }),
    ),
    '',
    gapLine(r.gapBytes?.noop),
    '',
    `### (c) ${SESSIONS} concurrent sessions`,
    '',
    `${SESSIONS} sessions started at once, each on its own connection: LOGIN, SELECT INBOX, ` +
      `FETCH 1:${SESSION_FETCH} (FLAGS ENVELOPE), LOGOUT (waiting for the server to close), on ` +
      `a mailbox of ${SMALL_MESSAGES} small messages. Total time is from the first connect to ` +
      `the last close; one warm-up round per path (not counted), then ${SESSION_ROUNDS} rounds per ` +
      `path, the figure is the median; a session ` +
      'counts as completed when every command got OK; the result uses the worst round.',
    '',
    table(
      [
        'Path',
        'Total time (ms, median)',
        'Rounds (ms)',
        'Ratio to plain relay',
        'Completed (per round)',
        'Target',
        'Result',
      ],
      r.sessions.map((x) => [
        x.path,
        fmt(x.value),
        (x.extra!.totalMsPerRound as number[]).map((v) => fmt(v)).join(', '),
        relayRatio(x),
        (x.extra!.completedPerRound as number[]).map((n) => `${n}/${SESSIONS}`).join(', '),
        x.target,
        verdict(x.pass),
      ]),
    ),
    '',
    ...r.sessions.flatMap((x) =>
      (x.extra!.errors as string[]).length > 0
        ? [`Errors on ${x.path}: ${(x.extra!.errors as string[]).join('; ')}`, '']
        : [],
    ),
    ...(r.cpuPerSession
      ? [
          'CPU time of the relaying process per session over all rounds (the 0.5 s settling ' +
            "pause after each round included: imapscope's inspection and archive finish a " +
            'round after its last close), side by side:',
          '',
          cpuTable(r.cpuPerSession, 'CPU ms/session', 2),
          '',
        ]
      : []),
    gapLine(r.gapBytes?.sessions),
    '',
    ...(r.many ? [...manySection(r.many), gapLine(r.gapBytes?.many), ''] : []),
    ...(r.pipelined ? pipelinedRelaySection(r.pipelined, r.gapBytes?.pipelined) : []),
    ...(r.threads ? whereTimeGoes(r.threads) : []),
    `imapscope logged ${r.imapscopeWarnings} warning or error line(s) during the relay rounds, ` +
      `${r.inspectionGaps} of them "inspection gap": ${fmt(r.inspectionGapBytes / 1e6, 1)} MB ` +
      'relayed but not decoded (the inspection thread fell behind and its queue overflowed).',
    '',
  ];
}

// Decode -----------------------------------------------------------------------------------

interface DecodeRow {
  stream: string;
  parser: string;
  mbps: number;
  bytes: number;
  messages: number;
}

export function isDecodeRows(rows: unknown[]): rows is DecodeRow[] {
  return rows.every(
    (r) =>
      typeof r === 'object' &&
      r !== null &&
      typeof (r as DecodeRow).stream === 'string' &&
      typeof (r as DecodeRow).parser === 'string' &&
      typeof (r as DecodeRow).mbps === 'number',
  );
}

/** Targets of issue 3: (a) an absolute rate, (b) a ratio to imapflow. */
const DECODE_TARGETS: Record<string, { mbps?: number; ratio?: number }> = {
  'bulk-fetch': { mbps: 1_000 },
  'envelope-fetch': { ratio: 2 },
};

/**
 * One row per stream for imapscope as the product runs by default (the row the target applies
 * to), and one per stream with --literal-hashes (`imapscope-sha256`, opt-in: no target).
 */
export function decodeVerdicts(rows: DecodeRow[]): { cells: string[]; pass: boolean | null }[] {
  const streams = [...new Set(rows.map((r) => r.stream))];
  const variants = streams.flatMap((stream) =>
    ['imapscope', 'imapscope-sha256']
      .filter((parser) => parser === 'imapscope' || rows.some((r) => r.parser === parser))
      .map((parser) => ({ stream, parser })),
  );
  return variants.map(({ stream, parser }) => {
    const ours = rows.find((r) => r.stream === stream && r.parser === parser);
    const theirs = rows.find((r) => r.stream === stream && r.parser === 'imapflow');
    const ratio = ours && theirs ? ours.mbps / theirs.mbps : NaN;
    const t = parser === 'imapscope' ? (DECODE_TARGETS[stream] ?? {}) : {};
    const pass =
      ours === undefined
        ? null
        : t.mbps !== undefined
          ? ours.mbps >= t.mbps
          : t.ratio !== undefined
            ? ratio >= t.ratio
            : null;
    const target =
      t.mbps !== undefined
        ? `≥ ${fmt(t.mbps)} MB/s`
        : t.ratio !== undefined
          ? `≥ ${t.ratio}× imapflow`
          : '—';
    return {
      cells: [
        parser === 'imapscope' ? stream : `${stream} with --literal-hashes`,
        ours ? `${fmt(ours.bytes / 1e6, 1)} MB, ${fmt(ours.messages)} messages` : '—',
        ours ? fmt(ours.mbps) : '—',
        theirs ? fmt(theirs.mbps) : '—',
        Number.isNaN(ratio) ? '—' : `${fmt(ratio, 2)}×`,
        target,
        verdict(pass),
      ],
      pass,
    };
  });
}

export function decodeSection(o: Outcome<unknown[]>): string[] {
  const head = [
    '## Decoder (issue 3)',
    '',
    "How measured: `benchDecode()` (test/bench/decode.ts) runs proxy/wire and imapflow's " +
      'response parser on the same synthesized s2c streams, in process, in 64 KiB chunks, no ' +
      'sockets; MB = 10^6 bytes, median of rounds; baseline: imapflow in the same run. ' +
      'imapscope runs as by default (literal bodies skipped by count, only the preview copied) ' +
      'and with --literal-hashes (sha256 of every body, opt-in; no target). (The ' +
      'relay target "with decoding on, ≥ 0.9× a plain relay" is the relay section\'s (a).)',
    '',
  ];
  if (!o.ok) return [...head, notMeasured(o), ''];
  if (!isDecodeRows(o.value)) return [...head, genericTable(o.value), ''];
  return [
    ...head,
    table(
      [
        'Stream',
        'Size',
        'imapscope MB/s',
        'imapflow MB/s (baseline)',
        'Ratio to imapflow',
        'Target',
        'Result',
      ],
      decodeVerdicts(o.value).map((v) => v.cells),
    ),
    '',
    gapNa(GAP_NA.decoder),
    '',
  ];
}

// TLS --------------------------------------------------------------------------------------

interface TlsRow {
  compress: boolean;
  path: string;
  mbPerS: number;
  samplesMBps?: number[];
  ratioToPlainRelay: number;
  target: number | null;
  pass: boolean | null;
  cpuMsPerMB?: number | null;
  cpuRatioToPlainRelay?: number | null;
  gapBytes?: number | null;
  cpuByThread?: Partial<Record<ThreadKind, { ms: number; sys: number }>>;
}

export function isTlsRows(rows: unknown[]): rows is TlsRow[] {
  return rows.every(
    (r) =>
      typeof r === 'object' &&
      r !== null &&
      typeof (r as TlsRow).path === 'string' &&
      typeof (r as TlsRow).mbPerS === 'number' &&
      typeof (r as TlsRow).ratioToPlainRelay === 'number',
  );
}

export function tlsSection(o: Outcome<unknown[]>): string[] {
  const head = [
    '## TLS on both legs (issue 5)',
    '',
    'How measured: `benchTls()` (test/bench/tls.ts): bulk FETCH of 20 × 5 MiB over implicit TLS ' +
      'on both legs against its own Dovecot, imapscope (verifying the upstream) vs a plain Node ' +
      'TLS-terminating relay (`tls.createServer` → `tls.connect` → `pipe`), each its own ' +
      'process, interleaved, without and with COMPRESS=DEFLATE; MB/s of decrypted, inflated ' +
      'IMAP, median of rounds after 2 warm-up rounds per path; baseline: the plain TLS relay of this run. CPU ms/MB: user + ' +
      'system time of the relaying process (from /proc) per MB it relayed over the timed ' +
      "rounds, as in the relay section's (a). **relay only** is imapscope's relay and TLS " +
      '(proxy/net) in a process of its own with nothing behind the tap (diagnostic, not ' +
      'judged). Inspection gap: bytes imapscope relayed but did not decode over the rounds ' +
      '(n/a where nothing inspects).',
    '',
  ];
  if (!o.ok) return [...head, notMeasured(o), ''];
  if (!isTlsRows(o.value)) return [...head, genericTable(o.value), ''];
  return [
    ...head,
    table(
      [
        'COMPRESS',
        'Path',
        'MB/s (median)',
        'Rounds (MB/s)',
        'Ratio to plain TLS relay',
        'Target',
        'Result',
        'CPU ms/MB',
        'CPU ratio to plain TLS relay',
        'Inspection gap',
      ],
      o.value.map((r) => [
        r.compress ? 'on' : 'off',
        r.path,
        fmt(r.mbPerS),
        (r.samplesMBps ?? []).map((v) => fmt(v)).join(', '),
        r.path === 'plain TLS relay' ? '1.00× (baseline)' : `${fmt(r.ratioToPlainRelay, 2)}×`,
        r.target === null ? '—' : `≥ ${r.target}×`,
        verdict(r.pass),
        typeof r.cpuMsPerMB === 'number' ? fmt(r.cpuMsPerMB, 2) : '—',
        typeof r.cpuRatioToPlainRelay !== 'number'
          ? '—'
          : r.path === 'plain TLS relay'
            ? '1.00× (baseline)'
            : `${fmt(r.cpuRatioToPlainRelay, 2)}×`,
        r.gapBytes === undefined
          ? 'not recorded'
          : r.gapBytes === null
            ? 'n/a (no inspection)'
            : `**${gapMB(r.gapBytes)}**`,
      ]),
    ),
    '',
    ...tlsThreads(o.value),
  ];
}

/** The TLS rounds' CPU per MB thread by thread, each path side by side, per COMPRESS mode. */
function tlsThreads(rows: TlsRow[]): string[] {
  if (!rows.some((r) => r.cpuByThread)) return [];
  return [
    'Where the time goes: CPU ms per MB thread by thread over the same rounds (threads named ' +
      "as in the relay section's (f)):",
    '',
    ...[false, true].flatMap((compress) => {
      const mode = rows.filter((r) => r.compress === compress && r.cpuByThread);
      if (mode.length === 0) return [];
      return [
        `COMPRESS ${compress ? 'on' : 'off'}:`,
        '',
        threadCpuTable({
          unit: 'MB',
          paths: mode.map((r) => ({
            path: r.path,
            byThread: r.cpuByThread!,
            process: r.cpuMsPerMB ?? NaN,
          })),
        }),
        '',
      ];
    }),
  ];
}

// Hub --------------------------------------------------------------------------------------

export function hubSection(o: Outcome<HubResult>): string[] {
  const head = [
    '## Hub: viewer, archive, stalled viewer (issue 6)',
    '',
    "How measured: test/bench/hub.ts, against the relay section's Dovecot: imapscope with a " +
      'WebSocket viewer reading `/ws` and the archive on vs imapscope with `--max-archive-mb 0` ' +
      'and no viewer, interleaved (200-session rounds, bulk FETCH rounds; throughput ratio = ' +
      'inverse of the time ratio for the sessions); archive ingest in process by replaying the ' +
      "events the viewer received under fresh session ids into proxy/archive's Archive, in " +
      'batches of 8, flushing on its own schedule; RSS of the imapscope process sampled every ' +
      '50 ms from /proc during back-to-back 200-session rounds (the event-heavy load; bulk FETCH ' +
      'makes few events), in two fresh imapscopes (archive on) fed the same sessions at the ' +
      'same time: one with a viewer whose socket is paused, its twin with no viewer (the ' +
      "baseline: RSS swings by about 180 MiB over the garbage collector's cycle, so a phase " +
      'before the stall in the same process is no baseline).',
    '',
  ];
  if (!o.ok) return [...head, notMeasured(o), ''];
  const d = o.value.details as {
    ingest: { withRaw: { rawMB: number; maxFlushMs: number }; templateEvents: number };
    stall: {
      hwm: number | null;
      hwmReset: boolean;
      firstHalfPeak: number;
      secondHalfPeak: number;
      rssBefore: { stalled: number; twin: number };
      baseHalves: [number, number];
      sessions: { stalled: number; twin: number };
      viewerAfterResume: { eventsDelivered: number; gapNotices: number; skipped: number };
    };
    viewerGapsWhileReading: number;
    rssAfterTraffic: { on?: { rss: number }; off?: { rss: number } };
    inspectionGapBytes: Record<string, number>;
    gapBytes?: {
      sessions: Record<string, number>;
      bulk: Record<string, number>;
      stall?: { stalled: number; twin: number };
    };
    sessionsIncomplete: number;
  };
  return [
    ...head,
    table(
      ['Figure', 'Value', 'Baseline (same run)', 'Ratio', 'Target', 'Result'],
      o.value.rows.map((r) => [
        r.figure,
        r.value,
        r.baseline,
        r.ratio === null ? '—' : `${fmt(r.ratio, 2)}×`,
        r.target,
        verdict(r.pass),
      ]),
    ),
    '',
    `Ingest replayed ${fmt(d.ingest.templateEvents)} recorded events per copy; the raw-bytes run ` +
      `also wrote ${fmt(d.ingest.withRaw.rawMB)} MB of raw chunks; the longest single archive ` +
      `flush held the event loop ${fmt(d.ingest.withRaw.maxFlushMs, 1)} ms. ` +
      `Stall: VmHWM ${d.stall.hwm === null ? 'unreadable' : `${fmt(d.stall.hwm / 2 ** 20)} MiB`}` +
      `${d.stall.hwmReset ? ' (reset before the stall)' : ' (whole process life)'}; peak RSS ` +
      `${fmt(d.stall.firstHalfPeak / 2 ** 20)} MiB in the stall's first half, ` +
      `${fmt(d.stall.secondHalfPeak / 2 ** 20)} MiB in its second (twin: ` +
      `${mib(d.stall.baseHalves[0])}, ${mib(d.stall.baseHalves[1])}; sessions ` +
      `${fmt(d.stall.sessions.stalled)} and ${fmt(d.stall.sessions.twin)}); once it ` +
      `read again the stalled viewer got ${fmt(d.stall.viewerAfterResume.eventsDelivered)} ` +
      `events and ${d.stall.viewerAfterResume.gapNotices} gap notice(s) for ` +
      `${fmt(d.stall.viewerAfterResume.skipped)} skipped events. RSS after the throughput ` +
      `rounds: ${mib(d.rssAfterTraffic.on?.rss)} (hub on), ${mib(d.rssAfterTraffic.off?.rss)} ` +
      `(hub off); before the stall ${mib(d.stall.rssBefore.stalled)} (stalled), ` +
      `${mib(d.stall.rssBefore.twin)} (twin). ` +
      `The reading viewer got ${d.viewerGapsWhileReading} gap notice(s); ` +
      `${d.sessionsIncomplete} session(s) did not complete.` +
      (d.gapBytes
        ? ''
        : ' Bytes relayed but not decoded ("inspection gap"): ' +
          Object.entries(d.inspectionGapBytes)
            .map(([k, v]) => `${k} ${fmt(v / 1e6, 1)} MB`)
            .join(', ') +
          '.'),
    '',
    ...(d.gapBytes ? hubGaps(d.gapBytes) : []),
  ];
}

/** The hub's inspection gaps, phase by phase and process by process. */
function hubGaps(g: {
  sessions: Record<string, number>;
  bulk: Record<string, number>;
  stall?: { stalled: number; twin: number };
}): string[] {
  const cell = (v: number | undefined): string => (v === undefined ? '—' : `**${gapMB(v)}**`);
  return [
    'Inspection gap (bytes relayed but not decoded) of each imapscope, phase by phase:',
    '',
    table(
      ['Phase', 'imapscope', 'Inspection gap'],
      [
        [`${SESSIONS}-session rounds`, 'hub on (viewer + archive)', cell(g.sessions['hub on'])],
        [`${SESSIONS}-session rounds`, 'hub off (archive off)', cell(g.sessions['hub off'])],
        ['bulk FETCH rounds', 'hub on (viewer + archive)', cell(g.bulk['hub on'])],
        ['bulk FETCH rounds', 'hub off (archive off)', cell(g.bulk['hub off'])],
        ['stalled viewer (whole run)', 'viewer stalled', cell(g.stall?.stalled)],
        ['stalled viewer (whole run)', 'twin, no viewer', cell(g.stall?.twin)],
      ],
    ),
    '',
  ];
}

// Crash recovery ---------------------------------------------------------------------------

const ms = (v: number | null): string => (v === null ? '—' : `${fmt(v)} ms`);

export function recoverySection(o: Outcome<RecoveryResult>): string[] {
  const head = [
    '## Crash recovery (issue 11)',
    '',
    'How measured: `benchRecovery()` (test/bench/recovery.ts): an archive built through the ' +
      'real pipeline (test/bench/recovery-archive.ts: synthetic sessions of LOGIN, SELECT, 4 ' +
      'FETCHes of 48 KiB, 20 NOOPs, LOGOUT) whose builder SIGKILLs itself mid-traffic, then ' +
      'the real `imapscope` (`--max-archive-mb 4096`, so nothing is deleted) started on it in ' +
      'front of Dovecot: after that kill, after a second SIGKILL, after a SIGTERM (the same-run ' +
      'baseline: a clean archive needs no recovery) and on an empty data directory. Times from ' +
      'spawn; "listener" is the ready line, "greeting" the first greeting a client reads ' +
      'through it. Recovery runs in a thread of its own after the listener opens.',
    '',
  ];
  if (!o.ok) return [...head, notMeasured(o), ''];
  const r = o.value;
  return [
    ...head,
    `Archive: ${mib(r.archiveBytes)} on disk (${mib(r.rawBytes)} of raw bytes, ` +
      `${fmt(r.sessions)} sessions, ${fmt(r.events)} events; built in ${fmt(r.buildSeconds)} s).`,
    '',
    table(
      ['Start', 'Listener', 'Greeting', 'Recovery finished', 'Recovery work', 'Interrupted'],
      r.rows.map((x) => [
        x.start,
        ms(x.listenerMs),
        ms(x.greetingMs),
        ms(x.recoveredMs),
        ms(x.recoverWorkMs),
        x.interrupted === null ? '—' : fmt(x.interrupted),
      ]),
    ),
    '',
    `Inspection gap of these restarts: n/a (${GAP_NA.restarts}).`,
    '',
    ...(r.loss ? lossLines(r.loss) : []),
  ];
}

function lossLines(l: RecoveryResult['loss']): string[] {
  return [
    'SIGKILL after 8 s of saturating load (test/bench/sigkill-loss.ts: 6 sessions FETCHing ' +
      '20 × 5 MiB again and again keep lossless inspection at its backlog bound while 12 ' +
      'clients run short pipelined sessions and a viewer receives the events):',
    '',
    table(
      [
        'What',
        'Acknowledged before the kill',
        'Not in the archive',
        'Oldest lost, before the kill',
      ],
      [
        [
          'short sessions (client read LOGOUT OK)',
          fmt(l.shortSessionsAcknowledged),
          fmt(l.shortSessionsLost),
          ms(l.oldestLostSessionMs),
        ],
        [
          'events a viewer received',
          fmt(l.viewerEvents),
          fmt(l.viewerEventsLost),
          ms(l.oldestLostEventMs),
        ],
      ],
    ),
    '',
    l.gapBytes === undefined
      ? 'Inspection gap under that load: not recorded in this report.'
      : 'Inspection gap under that load (from the lines imapscope logged before the kill): ' +
        `**${gapMB(l.gapBytes)}**.`,
    '',
  ];
}

// Start-up (issue 15) ------------------------------------------------------------------------

const STARTUP_TARGETS = {
  helpMs: HELP_TARGET_MS,
  readyMs: READY_TARGET_MS,
  idleRssBytes: IDLE_RSS_TARGET_BYTES,
};

export function startupSection(o: Outcome<StartupResult> | undefined): string[] {
  const head = [
    '## Start-up: compiled build vs tsx (issue 15)',
    '',
    'How measured: `benchStartup()` (test/bench/startup.ts) compiles dist/ ' +
      '(`tsc -p tsconfig.build.json`), then, in interleaved rounds, times `imapscope --help` from ' +
      'spawn to exit, and spawns imapscope with the practice server (no `--upstream`, archive ' +
      'on, no session, no viewer) and times spawn to its "ready" line; idle RSS is VmRSS of ' +
      'that process (relay and inspection thread together) a few seconds after ready. ' +
      '**compiled** is the installed command (bin/imapscope.js running dist/), **tsx** the ' +
      'development entry (proxy/imapscope.mjs running the TypeScript sources through tsx); ' +
      '`node -e 0` in the same rounds is the floor, Node starting and exiting on this machine. ' +
      'Medians; targets are judged on the compiled build.',
    '',
  ];
  if (!o) return [...head, '_Not measured in this run._', ''];
  if (!o.ok) return [...head, notMeasured(o), ''];
  const r = o.value;
  const ms = (v: number | null): string => (v === null ? '—' : `${fmt(v)} ms`);
  const rows = r.rows.map((x) => [
    `${x.path} (\`${x.command}\`)`,
    ms(x.helpMs),
    ms(x.readyMs),
    x.idleRssBytes === null ? '—' : mib(x.idleRssBytes),
  ]);
  const pass = r.pass;
  rows.push([
    'Target (compiled)',
    `≤ ${fmt(STARTUP_TARGETS.helpMs)} ms: ${verdict(pass?.help)}`,
    `≤ ${fmt(STARTUP_TARGETS.readyMs)} ms: ${verdict(pass?.ready)}`,
    `≤ ${mib(STARTUP_TARGETS.idleRssBytes)}: ${verdict(pass?.idleRss)}`,
  ]);
  return [
    ...head,
    `${r.rounds} rounds; RSS read ${fmt(r.idleSettleMs / 1000)} s after the ready line.`,
    '',
    table(['Path', '`--help` (median)', 'Spawn to ready (median)', 'Idle RSS (median)'], rows),
    '',
    gapNa(GAP_NA.startup),
    '',
  ];
}

// Pipelined commands ------------------------------------------------------------------------

export function pipelinedSection(o: Outcome<PipelinedNoopsRow[]> | undefined): string[] {
  const head = [
    '## Pipelined commands (issue 11)',
    '',
    'How measured: `benchPipelinedNoops()` (test/bench/pipelined-noops.ts): one client write ' +
      'of N pipelined `tag NOOP` lines, then one server write of their N completions, through ' +
      "the inspection thread's SessionPipeline (decode, pair, lint, events) in this process; the " +
      'same-run baseline decodes the same bytes without the session layer. Before the fix, ' +
      '10,000 took 19 s and 100,000 never finished. Target: linear, the cost per command at ' +
      'the largest N within 3× of the smallest.',
    '',
  ];
  if (!o) return [...head, 'Not in this report.', ''];
  if (!o.ok) return [...head, notMeasured(o), ''];
  return [
    ...head,
    table(
      [
        'Pipelined NOOPs',
        'SessionPipeline',
        'Decode only (baseline)',
        'Ratio',
        'Per command',
        'Events',
      ],
      o.value.map((r) => [
        fmt(r.commands),
        `${fmt(r.pipelineMs)} ms`,
        `${fmt(r.decodeMs)} ms`,
        `${fmt(r.pipelineMs / r.decodeMs, 2)}×`,
        `${fmt((r.pipelineMs * 1000) / r.commands, 1)} µs`,
        fmt(r.events),
      ]),
    ),
    '',
    gapNa(GAP_NA.pipelined),
    '',
  ];
}
