/**
 * The display filter (shared/filter.ts) across the archive: which sessions contain a match,
 * and which rows of one session match. Used by `imapscope grep` and `GET /api/sessions?filter=`,
 * on either archive (SQLite or PostgreSQL) through the reads of store.ts.
 *
 * A session is scanned event by event (shared/filter-match.ts), newest session first; the
 * session row's counters rule out sessions that cannot match before any event is read
 * (`status:NO` needs a session with a NO, `lint:` one with a lint). The cost is linear in the
 * events of the sessions scanned, as in Wireshark; a search stops once it has `limit` sessions.
 */
import type { Filter, FilterNode } from '../../shared/filter.ts';
import type { FilterSubject } from '../../shared/filter-match.ts';
import { FilterScanner, filterMatches } from '../../shared/filter-match.ts';
import type { SessionRow } from '../../shared/protocol.ts';
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

/** The reads the display filter makes: either archive (store.ts), or a read-only SQLite file. */
export type FilterReader = Pick<ArchiveReader, 'querySessions' | 'sessionEvents'>;

/** Sessions read per page while scanning the archive for matches. */
const SCAN_PAGE = 500;

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

/** Whether the archived session holds at least one match. */
export async function sessionHasMatch(
  reader: FilterReader,
  row: SessionRow,
  filter: Filter,
): Promise<boolean> {
  return (
    sessionCouldMatch(filter, row) && (await sessionMatches(reader, row.id, filter, 1)).length > 0
  );
}

/**
 * Sessions (newest first) with at least one match, and how many rows match in each; at most
 * `limit` sessions. The session list is read in pages by offset: a session that starts
 * meanwhile moves the others back, so a row seen twice is skipped (never one missed).
 */
export async function sessionsMatching(
  reader: FilterReader,
  filter: Filter,
  opts: { limit: number },
): Promise<{ session: SessionRow; matches: number }[]> {
  const out: { session: SessionRow; matches: number }[] = [];
  const seen = new Set<string>();
  for (let offset = 0; out.length < opts.limit; offset += SCAN_PAGE) {
    const page = await reader.querySessions({
      sort: 'started',
      order: 'desc',
      offset,
      limit: SCAN_PAGE,
    });
    for (const row of page.sessions) {
      if (seen.has(row.id)) continue;
      seen.add(row.id);
      if (!sessionCouldMatch(filter, row)) continue;
      const matches = (await sessionMatches(reader, row.id, filter)).length;
      if (matches > 0) out.push({ session: row, matches });
      if (out.length >= opts.limit) break;
    }
    if (page.sessions.length < SCAN_PAGE) break;
  }
  return out;
}
