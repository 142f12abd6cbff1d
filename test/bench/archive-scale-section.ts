/**
 * The "Archive at scale (issue 13)" section of BENCHMARKS.md, from the result of
 * `ARCHIVE_REPORT=1 npm run bench:archive` (test/bench/archive-scale.ts), which is kept in
 * BENCHMARKS.json: `npm run bench` does not measure it (generating the archive alone takes
 * longer than a section may) and carries the last figures over.
 */
import type { Outcome } from './sections.ts';
import { fmt, GAP_NA, gapNa } from './sections.ts';

/** Each list query and the audit query answers in this many ms or less (issue 13). */
export const ARCHIVE_QUERY_TARGET_MS = 200;
/** The viewer's session list is drawn this long after navigation or sooner. */
export const ARCHIVE_VIEWER_TARGET_MS = 1_000;

export interface ArchiveScaleResult {
  sessions: number;
  events: number | null;
  actions: number | null;
  generateSeconds: number | null;
  migrateMs: number;
  disk: { db: number; wal: number; raw: number; total: number };
  /** Over HTTP: `<name>Ms` (median) and `<name>Total` (X-Total-Count) per query. */
  http: Record<string, number | string | null>;
  viewerListMs: number;
  viewerListBaselineMs100Sessions: number;
  loadAverage: number[];
  /** The same queries as function calls (read.ts, actions.ts): `<name>Ms`. */
  inProcess: Record<string, number>;
}

/** The queries, in the order shown, with what each asks. */
const ROWS: [string, string][] = [
  ['firstPage', 'first page (50, newest first, with the total)'],
  ['userPage', 'one user’s sessions, sorted by bytes'],
  ['statusPage', 'ended sessions, sorted by NO count'],
  ['sortedByBytes', 'all sessions sorted by bytes'],
  ['deepPage', 'last page (offset total − 50)'],
  ['rareSearch', 'text search, 1 session matches'],
  ['commonSearch', 'text search, a few thousand match'],
  ['filter', 'display filter `status:BAD`, first page (not judged; total `51+`: a lower bound)'],
  ['audit', 'audit trail of one user (100 actions)'],
];

const JUDGED = ROWS.map(([k]) => k).filter((k) => k !== 'filter');

/** Whether each judged figure meets its target (HTTP figures; the viewer's list). */
export function archiveScaleVerdicts(
  o: Outcome<ArchiveScaleResult> | undefined,
): { figure: string; pass: boolean }[] {
  if (!o?.ok) return [];
  const r = o.value;
  const out = JUDGED.map((k) => {
    const ms = r.http[`${k}Ms`];
    return {
      figure: `${k} ${typeof ms === 'number' ? fmt(ms) : String(ms)} ms`,
      pass: typeof ms === 'number' && ms <= ARCHIVE_QUERY_TARGET_MS,
    };
  });
  out.push({
    figure: `viewer list ${fmt(r.viewerListMs)} ms`,
    pass: r.viewerListMs <= ARCHIVE_VIEWER_TARGET_MS,
  });
  return out;
}

export function archiveScaleSection(o: Outcome<ArchiveScaleResult> | undefined): string[] {
  const head = [
    '## Archive at scale (issue 13)',
    '',
    'How measured: `ARCHIVE_REPORT=1 npm run bench:archive` (test/bench/archive-scale.ts; not ' +
      'part of `npm run bench`, whose runs carry these figures over) generates an archive ' +
      '(test/bench/archive-generate.ts: copies of 500 real sessions, one per user, played ' +
      'through the inspection pipeline, with their rows, search text, audit actions and raw ' +
      'bytes), starts imapscope on it and times each query over HTTP (the REST API the viewer ' +
      'uses) and as a function call, median of 5 after a warm-up; the viewer from navigation ' +
      'to the first page’s 50th row drawn in headless Chromium, median of 3, with the same ' +
      'run’s 100-session archive as baseline.',
    '',
  ];
  if (!o) return [...head, '_Not measured yet._', ''];
  if (!o.ok) return [...head, `Not measured: ${o.reason}`, ''];
  const r = o.value;
  const ms = (v: unknown): string => (typeof v === 'number' ? `${fmt(v)} ms` : String(v ?? '—'));
  const gb = (n: number): string => `${fmt(n / 1e9, 2)} GB`;
  const rows = ROWS.map(([k, what]) => [
    what,
    ms(r.http[`${k}Ms`]),
    ms(r.inProcess[`${k}Ms`]),
    String(r.http[`${k}Total`] ?? '—'),
    k === 'filter'
      ? '—'
      : typeof r.http[`${k}Ms`] === 'number' &&
          (r.http[`${k}Ms`] as number) <= ARCHIVE_QUERY_TARGET_MS
        ? 'pass'
        : '**FAIL**',
  ]);
  rows.push([
    'viewer: session list drawn',
    ms(r.viewerListMs),
    `100 sessions: ${ms(r.viewerListBaselineMs100Sessions)}`,
    '—',
    r.viewerListMs <= ARCHIVE_VIEWER_TARGET_MS ? 'pass' : '**FAIL**',
  ]);
  return [
    ...head,
    `${fmt(r.sessions)} sessions, ${fmt(r.events ?? 0)} events, ${fmt(r.actions ?? 0)} audit actions; ` +
      `on disk ${gb(r.disk.total)} (database ${gb(r.disk.db)}, WAL ${gb(r.disk.wal)}, raw files ${gb(r.disk.raw)}); ` +
      `generated in ${r.generateSeconds === null ? '— (reused)' : `${fmt(r.generateSeconds)} s`}; ` +
      `load average ${r.loadAverage.join(', ')}. Targets: ≤ ${ARCHIVE_QUERY_TARGET_MS} ms per query (over HTTP), ` +
      `≤ ${fmt(ARCHIVE_VIEWER_TARGET_MS)} ms for the viewer.`,
    '',
    `| Query | HTTP (median) | In-process | Total | Target |`,
    `| --- | --- | --- | --- | --- |`,
    ...rows.map((x) => `| ${x.join(' | ')} |`),
    '',
    gapNa(GAP_NA.archiveScale),
    '',
  ];
}
