/**
 * Queries of the archive: the session list with its filters, a session's events by seq, all
 * events by gseq, raw chunks. Plain functions over a database handle, so the server (its own
 * writer connection) and the CLI's export (a read-only one) share them.
 */
import type { Database as Db } from 'better-sqlite3';
import type { Direction } from '../../shared/direction.ts';
import type { ImapscopeEvent, ImapState } from '../../shared/events.ts';
import type { SessionFilter, SessionRow } from '../../shared/protocol.ts';
import { fromJson } from '../../shared/protocol.ts';
import { API_PAGE_MAX } from '../limits.ts';
import { readSpans } from './raw-files.ts';

interface SessionDbRow {
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
}

function toRow(r: SessionDbRow): SessionRow {
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
  };
}

/** Clamps a page size to 1…API_PAGE_MAX (default `def`). */
export function pageSize(limit: number | undefined, def = 500): number {
  if (limit === undefined || !Number.isFinite(limit)) return def;
  return Math.max(1, Math.min(API_PAGE_MAX, Math.floor(limit)));
}

/**
 * Sessions matching every given filter, newest first. `user` and `client` match substrings
 * (user case-insensitively); `text` matches a substring of any of the session's events as
 * archived (JSON), so `text=INBOX` finds sessions that named INBOX.
 */
export function listSessions(db: Db, f: SessionFilter = {}): SessionRow[] {
  const where: string[] = [];
  const params: (string | number)[] = [];
  if (f.user) {
    where.push(`instr(lower(coalesce(user, '')), lower(?)) > 0`);
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
  if (f.text) {
    where.push(`id IN (SELECT DISTINCT session FROM events WHERE instr(body, ?) > 0)`);
    params.push(f.text);
  }
  const sql =
    `SELECT * FROM sessions ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ` +
    `ORDER BY started_at DESC, id DESC LIMIT ?`;
  params.push(pageSize(f.limit, 200));
  return (db.prepare(sql).all(...params) as SessionDbRow[]).map(toRow);
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
  const r = db.prepare(`SELECT max(gseq) AS m FROM events WHERE gseq > 0`).get() as {
    m: number | null;
  };
  return r.m ?? 0;
}

export interface StoredChunk {
  direction: Direction;
  at: number;
  data: Buffer;
}

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
