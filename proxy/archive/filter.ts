/**
 * The display filter (shared/filter.ts) across the archive: which sessions contain a match,
 * and which rows of one session match. Used by `imapscope grep` and `GET /api/sessions?filter=`,
 * on either archive (SQLite or PostgreSQL) through the reads of store.ts.
 *
 * The sessions are searched in the order of the list asked for (its sort, with its other
 * filters applied by SQL), a page at a time, and only until enough sessions with a match are
 * found: a page of the list needs its offset + limit of them, not every one in the archive.
 * Before any event is read, SQL rules out the sessions of a page that cannot hold a match
 * (filter-prefilter.ts: `status:BAD` needs a BAD in the row's counters, `cmd:MOVE` a MOVE
 * among its events); the others are scanned event by event (shared/filter-match.ts) up to
 * their first match, or through when the rows are counted (grep). A budget (time, or
 * sessions searched) bounds a search for a filter that matches almost nothing; the result
 * says how far it got.
 */
import type { Filter, FilterNode } from '../../shared/filter.ts';
import type { FilterSubject } from '../../shared/filter-match.ts';
import { FilterScanner, filterMatches } from '../../shared/filter-match.ts';
import type { SessionFilter, SessionRow } from '../../shared/protocol.ts';
import { sessionCondition } from './filter-prefilter.ts';
import { pageSize } from './read.ts';
import type { ArchiveReader } from './store.ts';

/** The counters of a session row that can rule it out. */
type Counts = Pick<SessionRow, 'noCount' | 'badCount' | 'lintCount' | 'exchangeCount'>;

/** Whether a session with these counters could hold a match (false only when it cannot). */
function could(n: FilterNode, c: Counts): boolean {
  switch (n.type) {
    case 'and':
      return n.items.every((x) => could(x, c));
    case 'or':
      return n.items.some((x) => could(x, c));
    case 'not':
      return true;
    case 'term': {
      const t = n.term;
      if (t.field === 'lint') return c.lintCount > 0;
      if (t.field !== 'status') return true;
      return t.values.some((v) =>
        v === 'NO' ? c.noCount > 0 : v === 'BAD' ? c.badCount > 0 : c.exchangeCount > 0,
      );
    }
  }
}

/** Whether a session row's counters leave room for a match (a cheap test before any scan). */
export function sessionCouldMatch(filter: Filter, row: Counts): boolean {
  return filter.root === null || could(filter.root, row);
}

/**
 * The reads the display filter makes: either archive (store.ts), or a read-only SQLite file.
 * Without `narrowSessions` only the session rows' counters rule sessions out.
 */
export type FilterReader = Pick<ArchiveReader, 'querySessions' | 'sessionEvents'> &
  Partial<Pick<ArchiveReader, 'narrowSessions'>>;

/** Sessions of the list read in the first page of a search; each next page is twice as many. */
const SCAN_FIRST_PAGE = 200;
/** The most sessions read (and narrowed by SQL at once) per page of a search. */
const SCAN_MAX_PAGE = 1_000;
/** Work done between two yields to the event loop (ms): other requests and events go on. */
const SCAN_SLICE_MS = 20;

/** The matching rows of one archived session, in seq order; stops after `max`. */
export async function sessionMatches(
  reader: FilterReader,
  session: string,
  filter: Filter,
  max = Number.POSITIVE_INFINITY,
): Promise<FilterSubject[]> {
  const scanner = new FilterScanner();
  const out: FilterSubject[] = [];
  const take = (subjects: FilterSubject[]): void => {
    for (const s of subjects) if (out.length < max && filterMatches(filter, s)) out.push(s);
  };
  let after = 0;
  while (out.length < max) {
    const page = await reader.sessionEvents(session, after, 1000);
    if (page.length === 0) {
      take(scanner.finish());
      break;
    }
    for (const e of page) take(scanner.push(e));
    after = page[page.length - 1]!.seq;
  }
  return out.sort((a, b) => a.seq - b.seq);
}

/** Where a search of the archive stops short of the list's end. */
export interface ScanBudget {
  /** Wall-clock time from the start of the search, ms. */
  ms?: number;
  /** Sessions of the list searched (ruled out by SQL or read). */
  sessions?: number;
}

/** What a search of the archive found, and how far it got. */
export interface SessionScan {
  /**
   * The sessions with a match, in the list's order, at most `want`, and how many rows match
   * in each (1 unless `countRows`: the search stops at a session's first match).
   */
  found: { session: SessionRow; matches: number }[];
  /** Whether the whole list was searched: `found` then holds every session with a match. */
  complete: boolean;
  /** Sessions of the list searched, from its start: ruled out by SQL, or read. */
  searched: number;
  /** Sessions in the list (those meeting the query's other filters), as last counted. */
  listed: number;
}

const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Searches the session list `query` asks for (its filters, sort and order; its offset and
 * limit are ignored) from its start for sessions holding a match of `filter`, until `want`
 * are found, the list ends or the budget is spent (checked before each session, so
 * `budget.sessions` searches exactly that many). `complete` is true when the list was
 * searched to its end, including when the `want`-th match is its last session.
 *
 * The list is read by offset: a session that starts meanwhile moves the others back, so a
 * session seen twice is skipped (never one missed); one deleted meanwhile may move one past.
 */
export async function scanSessions(
  reader: FilterReader,
  filter: Filter,
  opts: {
    query?: SessionFilter;
    want: number;
    countRows?: boolean;
    budget?: ScanBudget;
  },
): Promise<SessionScan> {
  const now = (): number => performance.now();
  const started = now();
  let sliceStart = started;
  const budget = opts.budget ?? {};
  const spent = (searched: number): boolean =>
    (budget.sessions !== undefined && searched >= budget.sessions) ||
    (budget.ms !== undefined && now() - started >= budget.ms);
  const condition = reader.narrowSessions ? sessionCondition(filter) : null;
  const out: SessionScan = { found: [], complete: false, searched: 0, listed: 0 };
  if (opts.want <= 0) return out;
  const seen = new Set<string>();
  let size = SCAN_FIRST_PAGE;
  for (let offset = 0; ; offset += size, size = Math.min(size * 2, SCAN_MAX_PAGE)) {
    if (spent(out.searched)) return out;
    const page = await reader.querySessions({ ...opts.query, offset, limit: size });
    out.listed = page.total;
    const end = page.sessions.length < size;
    const rows = page.sessions.filter((r) => !seen.has(r.id));
    for (const r of rows) seen.add(r.id);
    const possible =
      condition && rows.length > 0
        ? new Set(
            await reader.narrowSessions!(
              rows.map((r) => r.id),
              condition,
            ),
          )
        : null;
    for (const [i, row] of rows.entries()) {
      if (spent(out.searched)) return out;
      out.searched++;
      if (possible ? !possible.has(row.id) : !sessionCouldMatch(filter, row)) continue;
      const matches = (await sessionMatches(reader, row.id, filter, opts.countRows ? Infinity : 1))
        .length;
      if (matches > 0) out.found.push({ session: row, matches });
      if (out.found.length >= opts.want) {
        out.complete = end && i === rows.length - 1;
        return out;
      }
      if (now() - sliceStart >= SCAN_SLICE_MS) {
        await yieldToLoop();
        sliceStart = now();
      }
    }
    if (end) {
      out.complete = true;
      return out;
    }
    await yieldToLoop();
    sliceStart = now();
  }
}

/** One page of the sessions with a match ({@link filteredSessionPage}). */
export interface FilteredPage {
  sessions: SessionRow[];
  /** How many sessions hold a match: all of them when `exact`, else those found so far. */
  total: number;
  exact: boolean;
  /** Sessions searched from the list's start, of `listed` (SessionScan). */
  searched: number;
  listed: number;
}

/**
 * The page `f` asks for (offset, limit 1…API_PAGE_MAX, default 200; sort, order and the other
 * filters as querySessions takes them) among the sessions holding a match of `filter`. The
 * list is searched only until offset + limit + 1 sessions with a match are found (one past
 * the page: a next page is then known to exist), or the budget is spent. The total is exact
 * only when the list was searched to its end; otherwise it counts the matches found so far,
 * a lower bound (at least offset + limit + 1 when the search stopped for having enough).
 */
export async function filteredSessionPage(
  reader: FilterReader,
  f: SessionFilter,
  filter: Filter,
  budget?: ScanBudget,
): Promise<FilteredPage> {
  const offset = Math.max(0, Math.floor(f.offset ?? 0)) || 0;
  const limit = pageSize(f.limit, 200);
  const scan = await scanSessions(reader, filter, {
    query: f,
    want: offset + limit + 1,
    ...(budget && { budget }),
  });
  return {
    sessions: scan.found.slice(offset, offset + limit).map((m) => m.session),
    total: scan.found.length,
    exact: scan.complete,
    searched: scan.searched,
    listed: scan.listed,
  };
}

/**
 * Sessions (newest first) with at least one match, and how many rows match in each; at most
 * `limit` sessions, searched through to the end of the archive if need be.
 */
export async function sessionsMatching(
  reader: FilterReader,
  filter: Filter,
  opts: { limit: number },
): Promise<{ session: SessionRow; matches: number }[]> {
  const scan = await scanSessions(reader, filter, { want: opts.limit, countRows: true });
  return scan.found;
}
