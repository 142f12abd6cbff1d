/**
 * `npm run bench:archive`: the session list and the audit trail over a large archive (issue 13).
 *
 * Generates an archive of ARCHIVE_SESSIONS sessions (default 100,000) of about 115 events each
 * (11.5 million in all; archive-generate.ts: copies of 500 real sessions, one per user, played
 * through the inspection pipeline, with their session rows, search text, audit actions and raw
 * bytes as a live imapscope writes them), then starts imapscope on it and measures over HTTP
 * (the REST API the viewer uses) and in-process (the same queries as function calls):
 *   - the session list's first page (50 rows, newest first, with its total),
 *   - a filtered page (one user's sessions, sorted by bytes) and a status filter (ended,
 *     sorted by NO count),
 *   - the whole list sorted by another column (bytes),
 *   - the last page (offset total - 50),
 *   - a search for a subject one old session shows (rare) and one in a user's sessions
 *     (common: a few thousand),
 *   - a display filter's first page as the viewer asks for it (`filter=status:BAD`, 50 rows,
 *     newest first: searched only until 51 sessions with a BAD are found; its total is then a
 *     lower bound, shown as `51+`),
 *   - an audit query for one user,
 * each the median of 5 after one warm-up (target ≤ 200 ms), and the viewer's session list in
 * Chromium: from navigation to the first page's rows drawn (target ≤ 1 s), with a same-run
 * baseline on a 100-session archive. Also the archive's size on disk (database, WAL, raw
 * files) and the generation time.
 *
 * ARCHIVE_SCALE=0.1 generates a tenth (10,000 sessions, 1 million events) for a quick run;
 * ARCHIVE_DIR=... keeps (or reuses) the archive there instead of a temporary directory.
 * Prints a JSON result on stdout and progress on stderr; ARCHIVE_REPORT=1 also puts it in
 * BENCHMARKS.md and BENCHMARKS.json (their archive-scale section). Separate from `npm run bench`: the
 * full generation takes longer than a bench section may.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { queryActions } from '../../proxy/archive/actions.ts';
import { filteredSessionPage } from '../../proxy/archive/filter.ts';
import { narrowSessions, querySessions, sessionEvents } from '../../proxy/archive/read.ts';
import { ARCHIVE_FILE, openArchiveDb } from '../../proxy/archive/schema.ts';
import { FILTER_SCAN_BUDGET_MS } from '../../proxy/limits.ts';
import { parseFilter } from '../../shared/filter.ts';
import { startImapscope } from '../helpers/imapscope.ts';
import { launchChromium } from '../viewer/browser.ts';
import type { ArchiveScaleResult } from './archive-scale-section.ts';
import { COMMON, generateArchive, NEEDLE, type Generated } from './archive-generate.ts';
import { savedReport, writeReports } from './report.ts';
import { median, progress } from './stats.ts';

const SCALE = Number(process.env.ARCHIVE_SCALE ?? '1');
const SESSIONS = Math.round(Number(process.env.ARCHIVE_SESSIONS ?? '100000') * SCALE);
/** No request should take this long: a bench run stops waiting (and fails) here. */
const REQUEST_TIMEOUT_MS = 60_000;
/** The display filter's first page, as the viewer's session list asks for it. */
const FILTER_PAGE = 'offset=0&limit=50&sort=started&order=desc&filter=status%3ABAD';

/** The list queries measured, as API query strings (the in-process run uses the same filters). */
function queries(sessions: number): Record<string, string> {
  return {
    firstPage: 'limit=50',
    userPage: 'limit=50&user=user42&sort=bytes&order=desc',
    statusPage: 'limit=50&state=ended&sort=no&order=desc',
    sortedByBytes: 'limit=50&sort=bytes&order=desc',
    deepPage: `limit=50&offset=${Math.max(0, sessions - 50)}`,
    rareSearch: `limit=50&text=${encodeURIComponent(NEEDLE)}`,
    commonSearch: `limit=50&text=${encodeURIComponent(COMMON)}`,
  };
}

/** Bytes on disk: the database, its WAL and the raw files. */
function bytesOnDisk(dir: string): { db: number; wal: number; raw: number; total: number } {
  const out = { db: 0, wal: 0, raw: 0, total: 0 };
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const st = statSync(path.join(dir, name));
    if (!st.isFile()) continue;
    if (name === ARCHIVE_FILE) out.db += st.size;
    else if (name === `${ARCHIVE_FILE}-wal`) out.wal += st.size;
    else out.raw += st.size;
    out.total += st.size;
  }
  return out;
}

/** The same queries as plain function calls on a read-only handle: the database's share. */
async function queriesInProcess(file: string, sessions: number): Promise<Record<string, number>> {
  const db = openArchiveDb(file, { readonly: true });
  const time = (fn: () => unknown): number => {
    fn();
    const runs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      fn();
      runs.push(performance.now() - t);
    }
    return median(runs);
  };
  try {
    const out: Record<string, number> = {};
    for (const [name, q] of Object.entries(queries(sessions))) {
      const p = new URLSearchParams(q);
      const f = {
        limit: Number(p.get('limit')),
        offset: Number(p.get('offset') ?? 0),
        user: p.get('user') ?? undefined,
        state: p.get('state') ?? undefined,
        text: p.get('text') ?? undefined,
        sort: (p.get('sort') ?? undefined) as 'bytes' | undefined,
        order: (p.get('order') ?? undefined) as 'desc' | undefined,
      };
      out[`${name}Ms`] = time(() => querySessions(db, f));
    }
    out.auditMs = time(() => queryActions(db, { user: 'user42', limit: 100 }));
    // The display filter's first page, as the API reads it (filter.ts over read.ts).
    const reader = {
      querySessions: (f: Parameters<typeof querySessions>[1]) =>
        Promise.resolve(querySessions(db, f)),
      sessionEvents: (id: string, after: number, limit: number) =>
        Promise.resolve(sessionEvents(db, id, after, limit)),
      narrowSessions: (ids: readonly string[], c: Parameters<typeof narrowSessions>[2]) =>
        Promise.resolve(narrowSessions(db, ids, c)),
    };
    const parsed = parseFilter('status:BAD');
    if (!parsed.ok) throw new Error(parsed.error.message);
    const page = (): Promise<unknown> =>
      filteredSessionPage(reader, { limit: 50 }, parsed.filter, { ms: FILTER_SCAN_BUDGET_MS });
    await page();
    const runs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      await page();
      runs.push(performance.now() - t);
    }
    out.filterMs = median(runs);
    return out;
  } finally {
    db.close();
  }
}

async function timed(
  url: string,
  runsWanted = 5,
): Promise<{ ms: number; total: string | null; rows: number; searched: string | null }> {
  const runs: number[] = [];
  let total: string | null = null;
  let rows = 0;
  let searched: string | null = null;
  for (let i = 0; i <= runsWanted; i++) {
    const t = performance.now();
    const res = await fetch(url, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    const body = (await res.json()) as unknown[];
    if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
    if (i > 0) runs.push(performance.now() - t);
    // A lower bound (a display filter's search stopped before the end) reads `51+`.
    total = res.headers.get('x-total-count');
    if (total !== null && res.headers.get('x-total-exact') === 'false') total += '+';
    searched = res.headers.get('x-filter-searched');
    rows = body.length;
  }
  return { ms: median(runs), total, rows, searched };
}

/** How long the last start's archive took to open after imapscope was ready (ms). */
let lastRecoveryMs = 0;

/**
 * imapscope on `dir`, once its archive is open: it is ready (listening) before the recovery
 * thread has opened the archive, and until then the session list answers from memory (empty)
 * and the archive's routes 503.
 */
async function start(dir: string): Promise<Awaited<ReturnType<typeof startImapscope>>> {
  const args = ['--data', dir, '--max-archive-mb', '10000000', '--retain-days', '0'];
  // On a loaded machine a start (tsx compiling the sources) can pass the helper's 30 s.
  process.env.TEST_READY_TIMEOUT_MS ??= '180000';
  const scope = await startImapscope(args).catch(() => startImapscope(args));
  // A start with nothing to recover logs no "archive recovery finished": ask the archive.
  const t0 = performance.now();
  const token = new URL(scope.url).searchParams.get('token')!;
  const probe = `http://${scope.ui.host}:${scope.ui.port}/api/audit?limit=1&token=${token}`;
  while ((await fetch(probe)).status === 503) {
    if (performance.now() - t0 > 900_000) throw new Error('archive recovery took over 15 min');
    await new Promise((r) => setTimeout(r, 250));
  }
  lastRecoveryMs = Math.round(performance.now() - t0);
  return scope;
}

/** The session list's rows, as the viewer draws them. */
const ROWS = '[data-testid="session-list"] tbody tr';

/**
 * The viewer in Chromium: from navigation until the first page's 50th row is drawn, the median
 * of 3 after one warm-up; on imapscope over `dir` (started and stopped here) or at `url`.
 */
async function viewerListMs(dir: string | null, url?: string): Promise<number> {
  const scope = dir === null ? null : await start(dir);
  const browser = await launchChromium();
  const runs: number[] = [];
  try {
    for (let i = 0; i < 4; i++) {
      const page = await browser.newPage();
      const t = performance.now();
      await page.goto(url ?? scope!.url, { waitUntil: 'commit' });
      // Checked in the page at every animation frame: a locator's waitFor() checks again after
      // 20, 50, 100, 100, then every 500 ms, which rounded the figure up to its next check.
      await page.waitForFunction(
        `document.querySelectorAll(${JSON.stringify(ROWS)}).length >= 50`,
        undefined,
        { polling: 'raf' },
      );
      if (i > 0) runs.push(performance.now() - t);
      await page.close();
    }
  } finally {
    await browser.close();
    await scope?.stop();
  }
  return median(runs);
}

async function main(): Promise<void> {
  const dir = process.env.ARCHIVE_DIR ?? mkdtempSync(path.join(os.tmpdir(), 'imapscope-scale-'));
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, ARCHIVE_FILE);
  let generated: Generated | null = null;
  if (!existsSync(file)) generated = generateArchive(file, SESSIONS);
  // Opened once for writing: an archive from an older imapscope gets its new indexes.
  const t0 = performance.now();
  const db = openArchiveDb(file);
  const migrateMs = performance.now() - t0;
  // What is there (a reused ARCHIVE_DIR may hold another number than ARCHIVE_SESSIONS).
  const sessions = db.prepare(`SELECT count(*) FROM sessions`).pluck().get() as number;
  const events =
    generated?.events ?? (db.prepare(`SELECT max(gseq) FROM events`).pluck().get() as number);
  const actions =
    generated?.actions ?? (db.prepare(`SELECT max(id) FROM actions`).pluck().get() as number);
  db.close();
  const disk = bytesOnDisk(dir);
  progress(`archive-scale: ${(disk.total / 1e9).toFixed(2)} GB on disk`);
  const inProcess = await queriesInProcess(file, sessions);
  progress(`archive-scale: in-process ${JSON.stringify(inProcess)}`);
  // The same-run baseline for the viewer: a 100-session archive on the same machine, now.
  const small = mkdtempSync(path.join(os.tmpdir(), 'imapscope-scale-small-'));
  generateArchive(path.join(small, ARCHIVE_FILE), 100);
  let baselineListMs: number;
  try {
    baselineListMs = await viewerListMs(small);
  } finally {
    rmSync(small, { recursive: true, force: true });
  }
  const scope = await start(dir);
  try {
    const token = new URL(scope.url).searchParams.get('token')!;
    const api = (p: string): string =>
      `http://${scope.ui.host}:${scope.ui.port}${p}${p.includes('?') ? '&' : '?'}token=${token}`;
    const http: Record<string, number | string | null> = {};
    for (const [name, q] of Object.entries(queries(sessions))) {
      const r = await timed(api(`/api/sessions?${q}`));
      http[`${name}Ms`] = r.ms;
      http[`${name}Total`] = r.total;
    }
    http.recoveryMs = lastRecoveryMs;
    const audit = await timed(api('/api/audit?user=user42&limit=100'));
    http.auditMs = audit.ms;
    http.auditRows = audit.rows;
    const filter = await timed(api(`/api/sessions?${FILTER_PAGE}`));
    http.filterMs = filter.ms;
    http.filterTotal = filter.total;
    http.filterSearched = filter.searched;
    progress(`archive-scale: over HTTP ${JSON.stringify(http)}`);
    const listMs = await viewerListMs(null, scope.url);
    progress(`archive-scale: viewer list ${listMs} ms`);

    const result: ArchiveScaleResult = {
      sessions,
      events,
      actions,
      generateSeconds: generated ? Math.round(generated.ms / 1000) : null,
      migrateMs: Math.round(migrateMs),
      disk,
      http,
      viewerListMs: listMs,
      viewerListBaselineMs100Sessions: baselineListMs,
      loadAverage: os.loadavg().map((l) => Number(l.toFixed(1))),
      inProcess,
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    if (process.env.ARCHIVE_REPORT === '1') {
      // BENCHMARKS.md and .json: the other sections as the last `npm run bench` left them.
      const saved = savedReport();
      if (!saved) throw new Error('ARCHIVE_REPORT=1 needs a BENCHMARKS.json (npm run bench)');
      const written = await writeReports({ ...saved, archiveScale: { ok: true, value: result } });
      progress(`archive-scale: wrote ${written.md} and ${written.json}`);
    }
  } finally {
    await scope.stop();
    if (!process.env.ARCHIVE_DIR) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
