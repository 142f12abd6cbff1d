/**
 * `npm run bench:archive`: the session list and the audit trail over a large archive (issue 13).
 *
 * Generates an archive of ARCHIVE_SESSIONS sessions (default 100,000) of about 100 events each
 * (10 million in all) through the archive's own write path (Archive.write + flush: the events
 * JSON, the session rows, the search index and the audit trail, as a live imapscope writes
 * them), then starts imapscope on it and measures over HTTP:
 *   - the session list's first page (50 rows, newest first, with its total),
 *   - a filtered page (one user's sessions, sorted by bytes),
 *   - a search for a subject that one old session's traffic shows,
 *   - an audit query for one user,
 * each the median of 5 after one warm-up (target ≤ 200 ms), and the viewer's session list in
 * Chromium: from navigation to the first page's rows drawn (target ≤ 1 s).
 *
 * The sessions are copies of a few hundred real ones: conversations played through the real
 * inspection pipeline (one per user), then stamped with new ids, seqs, gseqs and times.
 *
 * ARCHIVE_SCALE=0.1 generates a tenth (10,000 sessions, 1 million events) for a quick run;
 * ARCHIVE_DIR=... keeps (or reuses) the archive there instead of a temporary directory.
 * Prints a JSON result on stdout and progress on stderr. Separate from `npm run bench`: the
 * full generation takes longer than a bench section may.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ImapscopeEvent } from '../../shared/events.ts';
import { Archive } from '../../proxy/archive/archive.ts';
import { queryActions } from '../../proxy/archive/actions.ts';
import { querySessions } from '../../proxy/archive/read.ts';
import { ARCHIVE_FILE, openArchiveDb } from '../../proxy/archive/schema.ts';
import { Hub } from '../../proxy/hub/hub.ts';
import { Capture, play } from '../hub/helpers.ts';
import { startImapscope } from '../helpers/imapscope.ts';
import { launchChromium } from '../viewer/browser.ts';
import { median, progress } from './stats.ts';

const SCALE = Number(process.env.ARCHIVE_SCALE ?? '1');
const SESSIONS = Math.round(Number(process.env.ARCHIVE_SESSIONS ?? '100000') * SCALE);
const USERS = 500;
/** FETCHes per session: 4 events each (command, untagged FETCH, completion, exchange). */
const FETCHES = 22;
const NEEDLE_SESSION = Math.floor(SESSIONS / 10);
const NEEDLE = 'Quarterly invoice 7Q4Z';

function script(user: string, subject: string): ['c2s' | 's2c', string][] {
  const out: ['c2s' | 's2c', string][] = [
    ['s2c', '* OK [CAPABILITY IMAP4rev1 LITERAL+ ID] ready\r\n'],
    ['c2s', 'a0 ID ("name" "BenchMail" "version" "1.0")\r\n'],
    ['s2c', '* ID ("name" "Dovecot")\r\na0 OK done\r\n'],
    ['c2s', `a1 LOGIN ${user} secret\r\n`],
    ['s2c', 'a1 OK logged in\r\n'],
    ['c2s', 'a2 SELECT INBOX\r\n'],
    ['s2c', `* ${FETCHES} EXISTS\r\n* OK [UIDVALIDITY 1] ok\r\na2 OK [READ-WRITE] done\r\n`],
  ];
  for (let i = 1; i <= FETCHES; i++) {
    const header = `Subject: ${i === 1 ? subject : `Note ${i}`}\r\nMessage-ID: <${i}.${user}@bench>\r\n\r\n`;
    out.push(['c2s', `a${i + 2} UID FETCH ${i} (BODY.PEEK[HEADER])\r\n`]);
    out.push([
      's2c',
      `* ${i} FETCH (UID ${i} BODY[HEADER] {${Buffer.byteLength(header)}}\r\n${header})\r\n` +
        `a${i + 2} OK done\r\n`,
    ]);
  }
  out.push(['c2s', `a99 LOGOUT\r\n`], ['s2c', '* BYE bye\r\na99 OK done\r\n']);
  return out;
}

/** One real session per user, played through the inspection pipeline. */
function templates(): ImapscopeEvent[][] {
  const out: ImapscopeEvent[][] = [];
  for (let u = 0; u <= USERS; u++) {
    const hub = new Hub();
    const capture = new Capture();
    hub.add(capture);
    // The last template carries the needle: the one session the search must find.
    const subject = u === USERS ? NEEDLE : `Weekly report ${u}`;
    play(hub, 'tmpl', script(`user${u % USERS}`, subject), 0);
    out.push(capture.events.map((e) => ({ ...e, at: e.at - capture.events[0]!.at })));
  }
  return out;
}

function generate(file: string, sessions = SESSIONS): { events: number; ms: number } {
  const t0 = performance.now();
  const tmpl = templates();
  const archive = new Archive(file);
  const start = Date.now() - sessions * 20_000;
  let gseq = 0;
  let events = 0;
  let batch: ImapscopeEvent[] = [];
  for (let s = 0; s < sessions; s++) {
    const t = s === NEEDLE_SESSION ? tmpl[USERS]! : tmpl[s % USERS]!;
    const id = `b${String(s).padStart(7, '0')}`;
    const at0 = start + s * 20_000;
    for (const e of t) {
      batch.push({ ...e, session: id, gseq: ++gseq, at: at0 + e.at } as ImapscopeEvent);
    }
    events += t.length;
    if (batch.length >= 20_000) {
      archive.write(batch);
      archive.flush();
      batch = [];
    }
    if (s % 10_000 === 0) progress(`archive-scale: ${s} sessions, ${events} events`);
  }
  archive.write(batch);
  archive.flush();
  archive.db.pragma('wal_checkpoint(TRUNCATE)');
  archive.db.exec('ANALYZE');
  void archive.close();
  return { events, ms: performance.now() - t0 };
}

function bytesOnDisk(dir: string): number {
  let n = 0;
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const p = path.join(dir, name);
    const st = statSync(p);
    if (st.isFile()) n += st.size;
  }
  return n;
}

/** The same queries as plain function calls on a read-only handle: the database's share. */
function queriesInProcess(file: string): Record<string, number> {
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
    return {
      firstPageMs: time(() => querySessions(db, { limit: 50 })),
      filteredPageMs: time(() =>
        querySessions(db, { limit: 50, user: 'user42', sort: 'bytes', order: 'desc' }),
      ),
      searchMs: time(() => querySessions(db, { limit: 50, text: NEEDLE })),
      commonSearchMs: time(() => querySessions(db, { limit: 50, text: 'Weekly report 42' })),
      deepPageMs: time(() => querySessions(db, { limit: 50, offset: SESSIONS - 50 })),
      auditMs: time(() => queryActions(db, { user: 'user42', limit: 100 })),
    };
  } finally {
    db.close();
  }
}

async function timed(url: string): Promise<{ ms: number; total: string | null; rows: number }> {
  const runs: number[] = [];
  let total: string | null = null;
  let rows = 0;
  for (let i = 0; i < 6; i++) {
    const t = performance.now();
    const res = await fetch(url);
    const body = (await res.json()) as unknown[];
    if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
    if (i > 0) runs.push(performance.now() - t);
    total = res.headers.get('x-total-count');
    rows = body.length;
  }
  return { ms: median(runs), total, rows };
}

function start(dir: string): ReturnType<typeof startImapscope> {
  const args = ['--data', dir, '--max-archive-mb', '10000000', '--retain-days', '0'];
  // On a loaded machine a start can pass the helper's 30 s; try again before giving up.
  return startImapscope(args).catch(() => startImapscope(args));
}

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
      await page.goto(url ?? scope!.url);
      await page.locator('[data-testid="session-list"] tbody tr').nth(49).waitFor();
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
  let generated: { events: number; ms: number } | null = null;
  if (!existsSync(file)) generated = generate(file);
  const diskBytes = bytesOnDisk(dir);
  // Opened once for writing: an archive from an older imapscope gets its new indexes.
  openArchiveDb(file).close();
  const inProcess = queriesInProcess(file);
  progress(`archive-scale: ${(diskBytes / 1e9).toFixed(2)} GB on disk`);
  // The same-run baseline for the viewer: a 100-session archive on the same machine, now.
  const small = mkdtempSync(path.join(os.tmpdir(), 'imapscope-scale-small-'));
  generate(path.join(small, ARCHIVE_FILE), 100);
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
    const firstPage = await timed(api('/api/sessions?limit=50'));
    const filtered = await timed(api('/api/sessions?limit=50&user=user42&sort=bytes&order=desc'));
    const search = await timed(api(`/api/sessions?limit=50&text=${encodeURIComponent(NEEDLE)}`));
    const deepPage = await timed(api(`/api/sessions?limit=50&offset=${SESSIONS - 50}`));
    const audit = await timed(api('/api/audit?user=user42&limit=100'));
    const listMs = await viewerListMs(null, scope.url);
    const result = {
      sessions: SESSIONS,
      events: generated?.events ?? null,
      generateSeconds: generated ? Math.round(generated.ms / 1000) : null,
      diskBytes,
      firstPageMs: firstPage.ms,
      total: firstPage.total,
      filteredPageMs: filtered.ms,
      filteredTotal: filtered.total,
      searchMs: search.ms,
      searchTotal: search.total,
      deepPageMs: deepPage.ms,
      auditMs: audit.ms,
      auditRows: audit.rows,
      viewerListMs: listMs,
      viewerListBaselineMs100Sessions: baselineListMs,
      loadAverage: os.loadavg().map((l) => Number(l.toFixed(1))),
      inProcess,
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await scope.stop();
    if (!process.env.ARCHIVE_DIR) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
