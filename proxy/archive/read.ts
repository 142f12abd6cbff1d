/**
 * Queries of the archive: the session list with its filters, a session's events by seq, all
 * events by gseq, raw chunks. Plain functions over a database handle, so the server (its own
 * writer connection) and the CLI's export (a read-only one) share them.
 */
import type { Database as Db } from 'better-sqlite3';
import type { Direction } from '../../shared/direction.ts';
import type { ImapscopeEvent, ImapState } from '../../shared/events.ts';
import type { SessionFilter, SessionPage, SessionRow, SessionSort } from '../../shared/protocol.ts';
import { fromJson } from '../../shared/protocol.ts';
import { API_PAGE_MAX } from '../limits.ts';
import { conditionSql, type SessionCondition } from './filter-prefilter.ts';
import { readSpans } from './raw-files.ts';
import type { StoredChunk } from './store.ts';

export interface SessionDbRow {
  id: string;
  started_at: number;
  ended_at: number | null;
  client: string;
  upstream: string;
  user: string | null;
  state: string | null;
  reason: string | null;
  bytes_c2s: number | null;
  bytes_s2c: number | null;
  events: number;
  dropped: number;
  source: string;
  exchanges: number;
  nos: number;
  bads: number;
  lints: number;
  gaps: number;
  gap_bytes: number;
  /** Absent in a read-only archive from before instances (never migrated). */
  instance?: string;
  client_name: string | null;
  client_version: string | null;
}

export function toRow(r: SessionDbRow): SessionRow {
  return {
    id: r.id,
    client: r.client,
    upstream: r.upstream,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    user: r.user,
    state: r.state as ImapState | null,
    reason: r.reason,
    bytesC2s: r.bytes_c2s,
    bytesS2c: r.bytes_s2c,
    events: r.events,
    source: r.source,
    droppedEvents: r.dropped,
    exchangeCount: r.exchanges,
    noCount: r.nos,
    badCount: r.bads,
    lintCount: r.lints,
    gapCount: r.gaps,
    gapBytes: r.gap_bytes,
    // Only when named: a row of one unnamed SQLite instance is the registry's row exactly.
    ...(r.instance ? { instance: r.instance } : {}),
    clientName: r.client_name,
    clientVersion: r.client_version,
  };
}

/** Clamps a page size to 1…API_PAGE_MAX (default `def`). */
export function pageSize(limit: number | undefined, def = 500): number {
  if (limit === undefined || !Number.isFinite(limit)) return def;
  return Math.max(1, Math.min(API_PAGE_MAX, Math.floor(limit)));
}

/** The SQL expression each sort column orders by (portable: coalesce, arithmetic, no functions). */
export const SORT_SQL: Record<SessionSort, string> = {
  started: 'started_at',
  // Live sessions (no end yet) count as ending last.
  ended: 'coalesce(ended_at, 9007199254740991)',
  duration: 'coalesce(ended_at, last_at) - started_at',
  client: 'client',
  user: "coalesce(user, '')",
  upstream: 'upstream',
  state: "coalesce(state, '')",
  reason: "coalesce(reason, '')",
  bytes: 'coalesce(bytes_c2s, 0) + coalesce(bytes_s2c, 0)',
  events: 'events',
  exchanges: 'exchanges',
  gaps: 'gaps',
  no: 'nos',
  bad: 'bads',
  lints: 'lints',
  clientName: "coalesce(client_name, '')",
};

/** Shorter searches than this match the session's columns only (trigrams need 3 characters). */
const TRIGRAM = 3;

/**
 * The WHERE clause of the session list: every given filter, ANDed. `user` matches the whole
 * user case-insensitively, `client` a substring. `text` matches, case-insensitively, the session's
 * searchable text (search-text.ts, through the trigram index `session_text`): its traffic
 * and its id, client, user and upstream; a `text` of 1 or 2 characters matches those columns
 * and the client ID name only.
 */
function sessionWhere(
  f: SessionFilter,
  only?: readonly string[],
): { sql: string; params: (string | number)[] } {
  const where: string[] = [];
  const params: (string | number)[] = [];
  if (f.user) {
    // Exact, case-insensitively, through the index sessions_user (a substring scan of every
    // row took 76 ms at 10,000 sessions; a part of a name is what `text` is for).
    where.push(`lower(user) = lower(?)`);
    params.push(f.user);
  }
  if (f.client) {
    where.push(`instr(client, ?) > 0`);
    params.push(f.client);
  }
  if (f.from !== undefined) {
    where.push(`(ended_at IS NULL OR ended_at >= ?)`);
    params.push(f.from);
  }
  if (f.to !== undefined) {
    where.push(`started_at <= ?`);
    params.push(f.to);
  }
  if (f.state === 'live') where.push(`ended_at IS NULL`);
  else if (f.state === 'ended') where.push(`ended_at IS NOT NULL`);
  else if (f.state) {
    where.push(`state = ?`);
    params.push(f.state);
  }
  if (f.reason) {
    where.push(`reason = ?`);
    params.push(f.reason);
  }
  const text = f.text?.trim();
  if (text) {
    if ([...text].length >= TRIGRAM) {
      where.push(
        `id IN (SELECT session FROM search_rows WHERE id IN
           (SELECT rowid FROM session_text WHERE session_text MATCH ?))`,
      );
      params.push(`"${text.replace(/"/g, '""')}"`);
    } else {
      // Too short for the index: the session's own columns only (scanning 10 million events
      // for two letters would take seconds).
      where.push(
        `instr(lower(id || ' ' || client || ' ' || coalesce(user, '') || ' ' || upstream || ' ' ||
           coalesce(client_name, '')), lower(?)) > 0`,
      );
      params.push(text);
    }
  }
  // The display filter (`filter=`): the sessions containing a match (filter.ts finds them).
  if (only) {
    where.push(`id IN (SELECT value FROM json_each(?))`);
    params.push(JSON.stringify(only));
  }
  return { sql: where.length ? `WHERE ${where.join(' AND ')}` : '', params };
}

/**
 * The ORDER BY of the session list: the sort column, then newest first. Sorting by start time
 * names started_at once, so that descending (the default) reads the index
 * sessions_started_id backwards with nothing left to sort.
 */
function orderBy(f: SessionFilter): string {
  const dir = f.order === 'asc' ? 'ASC' : 'DESC';
  const sort = f.sort ?? 'started';
  return sort === 'started'
    ? `started_at ${dir}, id DESC`
    : `${SORT_SQL[sort]} ${dir}, started_at DESC, id DESC`;
}

/**
 * One page of the sessions matching every given filter, sorted by `f.sort` (default: start
 * time) in `f.order` (default: descending), ties newest first; `offset` rows skipped, at most
 * `limit` (1…API_PAGE_MAX, default 200) returned, with the number matching in all. `only`:
 * among these session ids alone (the sessions a display filter matched).
 *
 * In two steps, for large archives: the page's ids first (the sort keys and ids only, from the
 * covering index when sorted by start time, so skipping 100,000 rows of an offset reads no
 * row), then those rows. With a filter, the same statement counts the matches (a window count),
 * so the rows are filtered once per page (and a `text` search reads the full-text index once),
 * not once for the page and again for the total.
 */
export function querySessions(
  db: Db,
  f: SessionFilter = {},
  only?: readonly string[],
): SessionPage {
  const { sql: where, params } = sessionWhere(f, only);
  const offset = Math.max(0, Math.floor(f.offset ?? 0)) || 0;
  const limit = pageSize(f.limit, 200);
  // With a filter the total needs a pass over the matching rows anyway: the page's statement
  // counts them in the same pass (and a text search reads the trigram index once). Without
  // one, count(*) reads the smallest index and the page the first rows of sessions_started_id.
  const counted = where !== '';
  const page = db
    .prepare(
      `SELECT id${counted ? ', count(*) OVER () AS n' : ''} FROM sessions ${where}
       ORDER BY ${orderBy(f)} LIMIT ? OFFSET ?`,
    )
    .all(...params, limit, offset) as { id: string; n?: number }[];
  const total =
    counted && page.length > 0
      ? page[0]!.n!
      : (db.prepare(`SELECT count(*) AS n FROM sessions ${where}`).get(...params) as { n: number })
          .n;
  if (page.length === 0) return { sessions: [], total };
  const byId = new Map(
    (
      db
        .prepare(`SELECT * FROM sessions WHERE id IN (SELECT value FROM json_each(?))`)
        .all(JSON.stringify(page.map((p) => p.id))) as SessionDbRow[]
    ).map((r) => [r.id, r]),
  );
  const rows = page.map((p) => byId.get(p.id)).filter((r): r is SessionDbRow => r !== undefined);
  return { sessions: rows.map(toRow), total };
}

/**
 * Of the sessions `ids`, those meeting `condition` (filter-prefilter.ts: what a display
 * filter's match needs of the session row and its events), in no particular order; ids of no
 * session are left out.
 */
export function narrowSessions(
  db: Db,
  ids: readonly string[],
  condition: SessionCondition,
): string[] {
  const params: (string | number)[] = [JSON.stringify(ids)];
  const cond = conditionSql(condition, {
    param: (v) => (params.push(v), '?'),
    contains: (haystack, needle) => `instr(${haystack}, ${needle}) > 0`,
    latencyMs: `json_extract(e.body, '$.latencyMs')`,
  });
  return db
    .prepare(`SELECT id FROM sessions s WHERE s.id IN (SELECT value FROM json_each(?)) AND ${cond}`)
    .pluck()
    .all(...params) as string[];
}

/** The first page of {@link querySessions}, rows only. */
export function listSessions(db: Db, f: SessionFilter = {}): SessionRow[] {
  return querySessions(db, f).sessions;
}

export function getSession(db: Db, id: string): SessionRow | undefined {
  const r = db.prepare(`SELECT * FROM sessions WHERE id = ?`).get(id) as SessionDbRow | undefined;
  return r && toRow(r);
}

/** A session's events with seq > afterSeq, in seq order, at most `limit`. */
export function sessionEvents(
  db: Db,
  session: string,
  afterSeq: number,
  limit: number,
): ImapscopeEvent[] {
  const rows = db
    .prepare(`SELECT body FROM events WHERE session = ? AND seq > ? ORDER BY seq LIMIT ?`)
    .all(session, afterSeq, limit) as { body: string }[];
  return rows.map((r) => fromJson<ImapscopeEvent>(r.body));
}

/** One event of a session by its seq. */
export function sessionEvent(db: Db, session: string, seq: number): ImapscopeEvent | undefined {
  const r = db
    .prepare(`SELECT body FROM events WHERE session = ? AND seq = ?`)
    .get(session, seq) as { body: string } | undefined;
  return r && fromJson<ImapscopeEvent>(r.body);
}

/** Live events (gseq > 0) with after < gseq ≤ until, in gseq order, at most `limit`. */
export function eventsByGseq(
  db: Db,
  after: number,
  until: number,
  limit: number,
): ImapscopeEvent[] {
  const rows = db
    .prepare(`SELECT body FROM events WHERE gseq > ? AND gseq <= ? ORDER BY gseq LIMIT ?`)
    .all(after, until, limit) as { body: string }[];
  return rows.map((r) => fromJson<ImapscopeEvent>(r.body));
}

/** The highest gseq archived (0 when none): the hub continues from it. */
export function maxGseq(db: Db): number {
  // `gseq > 0` lets it read the end of the partial index events_gseq instead of every event
  // (4.4 s on a 1.2-million-event archive, at every start).
  const r = db.prepare(`SELECT max(gseq) AS m FROM events WHERE gseq > 0`).get() as {
    m: number | null;
  };
  return r.m ?? 0;
}

export type { StoredChunk };

/**
 * A session's raw (redacted) chunks in arrival order, read lazily: from its raw file
 * (raw-files.ts) or, for archives written before those existed, from the chunks table.
 */
export function* sessionChunks(db: Db, session: string): Generator<StoredChunk> {
  if (hasSpans(db, session)) {
    for (const s of readSpans(db, session, sessionSpans(db, session))) {
      yield { direction: s.direction, at: s.at, data: s.data };
    }
    return;
  }
  yield* legacyChunks(db, session);
}

function hasSpans(db: Db, session: string): boolean {
  return db.prepare(`SELECT 1 FROM raw_spans WHERE session = ? LIMIT 1`).get(session) !== undefined;
}

function* sessionSpans(
  db: Db,
  session: string,
): Generator<{
  direction: Direction;
  at: number;
  segment: number | null;
  offset: number;
  length: number;
}> {
  const stmt = db.prepare(
    `SELECT id, direction, at, segment, offset, length FROM raw_spans WHERE session = ? AND id > ?
     ORDER BY id LIMIT 1000`,
  );
  let last = 0;
  for (;;) {
    const rows = stmt.all(session, last) as {
      id: number;
      direction: Direction;
      at: number;
      segment: number | null;
      offset: number;
      length: number;
    }[];
    if (rows.length === 0) return;
    for (const r of rows) {
      last = r.id;
      yield r;
    }
  }
}

function* legacyChunks(db: Db, session: string): Generator<StoredChunk> {
  const stmt = db.prepare(
    `SELECT id, direction, at, data FROM chunks WHERE session = ? AND id > ? ORDER BY id LIMIT 1000`,
  );
  let last = 0;
  for (;;) {
    const rows = stmt.all(session, last) as (StoredChunk & { id: number })[];
    if (rows.length === 0) return;
    for (const r of rows) {
      last = r.id;
      yield { direction: r.direction, at: r.at, data: r.data };
    }
  }
}

/** Whether any raw chunks were archived for the session. */
export function hasChunks(db: Db, session: string): boolean {
  if (hasSpans(db, session)) return true;
  return db.prepare(`SELECT 1 FROM chunks WHERE session = ? LIMIT 1`).get(session) !== undefined;
}
