/**
 * The PostgreSQL archive (`--archive postgres://…`): one database that several imapscope
 * instances write into and every instance's viewer reads. The same contract as the SQLite
 * archive (store.ts): `write`/`raw` only queue; every ARCHIVE_FLUSH_MS (or at
 * ARCHIVE_FLUSH_EVENTS events, or PG_FLUSH_RAW_BYTES raw bytes) the queue is encoded at once
 * and goes to the database in one transaction: events, raw chunks and the sessions'
 * searchable text (pg-search-text.ts) by binary COPY (pg-copy.ts), actions and the sessions'
 * counters each in one statement through `unnest($1::text[], …)`. Two flushes run at once on two connections (one sends its rows
 * while the one before it commits), and each commits after the one before it, so an
 * instance's gseqs are committed in order.
 *
 * Shared-store rules:
 * - each session row carries its instance; gseq (the hub's counter, per process) is only
 *   meaningful together with the instance, so gseq reads filter on it;
 * - closeInterrupted only touches this instance's live sessions;
 * - retention deletes only ended sessions, under a transaction-scoped advisory lock so two
 *   instances never prune at once; the size cap counts stored bytes per session
 *   (`stored_bytes`), since PostgreSQL's files do not shrink after a DELETE.
 */
import pg from 'pg';
import type { Pool, PoolClient } from 'pg';
import type { AuditAction, AuditFilter } from '../../shared/audit.ts';
import type { Direction } from '../../shared/direction.ts';
import type { ImapscopeEvent } from '../../shared/events.ts';
import type { SessionFilter, SessionPage, SessionRow } from '../../shared/protocol.ts';
import { applySessionEvent, newSessionRow } from '../../shared/session-row.ts';
import { fromJson } from '../../shared/protocol.ts';
import { eventJson } from '../hub/event-json.ts';
import type { RawChunk } from '../hub/hub.ts';
import {
  ARCHIVE_FLUSH_EVENTS,
  ARCHIVE_FLUSH_MS,
  ARCHIVE_MAX_QUEUE_SPANS,
  ARCHIVE_RETENTION_INTERVAL_MS,
} from '../limits.ts';
import { ActionRecorder, actionsQuery } from './actions.ts';
import type { BackfillBatch } from './backfill.ts';
import { insertActions, pgBackfillBatch, pgUnderivedSessions } from './pg-backfill.ts';
import type { ArchiveOptions, SessionPatch } from './archive.ts';
import { copyChunks, copyInto, type CopyTable } from './pg-copy.ts';
import { conditionSql, type SessionCondition } from './filter-prefilter.ts';
import { pgStreamRange } from './pg-read.ts';
import { searchTextRows, textCondition } from './pg-search-text.ts';
import { migrate } from './pg-schema.ts';
import { DERIVATION_VERSION } from './schema.ts';
import { SORT_SQL, pageSize, toRow, type SessionDbRow } from './read.ts';
import { aggregateStats, type CommandStats, type StatsFilter, type StatsRow } from './stats.ts';
import {
  admitEvents,
  maskArchiveUrl,
  type ArchiveStats,
  type ArchiveStore,
  type StoredChunk,
} from './store.ts';
import { WriteFaults } from './write-faults.ts';

/** Raw bytes queued that start a flush at once. */
export const PG_FLUSH_RAW_BYTES = 4 * 1024 * 1024;
/** Connections per instance: two for the overlapping flushes, the rest for reads. */
const PG_POOL_SIZE = 5;
/** pg_try_advisory_xact_lock key of retention ('imapprun'). */
const PRUNE_LOCK = '7596498503361983854';

/** int8 and numeric as numbers: counts, times and sizes here stay far below 2^53. */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === 20 || oid === 1700
      ? (v: string) => Number(v)
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/** `?` placeholders (SQL shared with SQLite) as PostgreSQL's `$n`. */
function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** What flush() hands over: the queue as it was, encoded for the database at once. */
interface Batch {
  events: ImapscopeEvent[];
  /** Each event's stored JSON (eventJson), in the events' order. */
  bodies: string[];
  chunks: RawChunk[];
  /** The events as COPY rows of `events` (pg-copy.ts). */
  eventRows: Buffer[];
  /** The raw chunks as COPY rows of `raw_chunks`. */
  chunkRows: Buffer[];
  /** The sessions' searchable text (pg-search-text.ts) as COPY rows of `session_text`. */
  textRows: Buffer[];
  actions: AuditAction[];
  /** One delta row per session of the batch (upsertSessions). */
  patches: Map<string, SessionDelta>;
  /** The batch's events per session: what a failed flush counts as lost for each. */
  perSession: Map<string, number>;
  /** When the batch was handed over, and how long encoding it took (ms). */
  handedAt: number;
  encodeMs: number;
}

/** A session's counters to add and fields to set, folded from a batch's events. */
type SessionDelta = Omit<SessionPatch, 'text'> & { bytes: number };

/** SQLSTATE unique_violation. */
const UNIQUE_VIOLATION = '23505';
/** The tables COPY fills, as pg-schema.ts made them. */
const EVENTS: CopyTable = {
  table: 'events',
  columns: [
    ['session', 'text'],
    ['seq', 'int4'],
    ['instance', 'text'],
    ['gseq', 'int8'],
    ['at', 'int8'],
    ['type', 'text'],
    ['body', 'text'],
  ],
};
const SESSION_TEXT: CopyTable = {
  table: 'session_text',
  columns: [
    ['session', 'text'],
    ['text', 'text'],
  ],
};
const RAW_CHUNKS: CopyTable = {
  table: 'raw_chunks',
  columns: [
    ['session', 'text'],
    ['direction', 'text'],
    ['at', 'int8'],
    ['data', 'bytea'],
  ],
};

export class PgArchive implements ArchiveStore {
  readonly name = 'archive';
  readonly kind = 'postgres';
  readonly instance: string;
  readonly stats: ArchiveStats = {
    eventsWritten: 0,
    chunksWritten: 0,
    eventsDropped: 0,
    chunksDropped: 0,
    flushes: 0,
    maxFlushMs: 0,
  };
  /** The URL with its password masked, for logs. */
  readonly where: string;
  private queue: ImapscopeEvent[] = [];
  private chunkQueue: RawChunk[] = [];
  private rawBytes = 0;
  /** Events handed to a flush that has not finished. */
  private inFlight = 0;
  private droppedBySession = new Map<string, number>();
  /** Settles when the last flush handed over (and everything before it) is done. */
  private chain: Promise<void> = Promise.resolve();
  /** Settles when the flush before the last one is done: a new flush may start then. */
  private slot: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  private retention: NodeJS.Timeout | null = null;
  private closed = false;
  private readonly actions = new ActionRecorder(null);
  private readonly faults: WriteFaults;
  private readonly now: () => number;
  /** Settles when the backfill batch running (if any) is over. */
  private backfilling: Promise<unknown> = Promise.resolve();
  /** closeInterrupted's sessions and their last seq, for reopenInterrupted. */
  private interrupted = new Map<string, number>();

  private constructor(
    readonly pool: Pool,
    url: string,
    private readonly opts: ArchiveOptions,
  ) {
    this.where = maskArchiveUrl(url);
    this.instance = opts.instance ?? '';
    this.now = opts.now ?? Date.now;
    this.faults = new WriteFaults({
      onError: opts.onError,
      onRecover: opts.onRecover,
      now: this.now,
    });
  }

  /**
   * Connects (credentials from the URL or PGPASSWORD, PGUSER… as libpq reads them), runs the
   * migrations and starts retention. Rejects when the database cannot be reached.
   */
  static async open(url: string, opts: ArchiveOptions = {}): Promise<PgArchive> {
    const pool = new pg.Pool({ connectionString: url, max: PG_POOL_SIZE, types });
    // An idle client's error (the server restarted) must not crash the process.
    pool.on('error', () => {});
    const a = new PgArchive(pool, url, opts);
    try {
      await migrate(pool, a.where);
    } catch (err) {
      await pool.end();
      throw err;
    }
    if (opts.retainDays || opts.maxBytes) {
      await a.enforceRetention().catch((err: unknown) => a.faults.failed(err, 0, 0));
      a.retention = setInterval(() => {
        a.enforceRetention().catch((err: unknown) => a.faults.failed(err, 0, 0));
      }, ARCHIVE_RETENTION_INTERVAL_MS);
      a.retention.unref();
    }
    return a;
  }

  write(events: readonly ImapscopeEvent[]): void {
    if (this.closed) return;
    if (admitEvents(this.queue.length + this.inFlight, events, this.droppedBySession, this.stats)) {
      for (const e of events) this.queue.push(e);
    }
    this.schedule();
  }

  raw(chunks: readonly RawChunk[]): void {
    if (this.closed || chunks.length === 0) return;
    if (this.chunkQueue.length + chunks.length > ARCHIVE_MAX_QUEUE_SPANS) {
      this.stats.chunksDropped += chunks.length;
      this.schedule();
      return;
    }
    // The chunks' buffers are only lent for the call: one copy of them all, held to the flush.
    let total = 0;
    for (const c of chunks) total += c.data.byteLength;
    const copy = Buffer.allocUnsafe(total);
    let at = 0;
    for (const c of chunks) {
      copy.set(c.data, at);
      this.chunkQueue.push({ ...c, data: copy.subarray(at, at + c.data.byteLength) });
      at += c.data.byteLength;
    }
    this.rawBytes += total;
    this.schedule();
  }

  get pending(): number {
    return this.queue.length + this.inFlight;
  }

  /**
   * Hands what is queued to a flush, encoded for the database now (so flushes see the events
   * in the order they came). Two flushes run at once, on two connections: one sends its rows
   * while the one before it commits; each commits only after the one before it has, so an
   * instance's gseqs become visible in order (the cursor of pg-feed.ts relies on it).
   */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = null;
    this.immediate = null;
    if (this.queue.length === 0 && this.chunkQueue.length === 0 && this.droppedBySession.size === 0)
      return;
    const batch = this.encode(this.queue, this.chunkQueue, this.droppedBySession);
    this.queue = [];
    this.chunkQueue = [];
    this.rawBytes = 0;
    this.droppedBySession = new Map();
    this.inFlight += batch.events.length;
    const previous = this.chain;
    const slot = this.slot;
    this.slot = previous;
    this.chain = this.commit(batch, slot, previous);
  }

  settle(): Promise<void> {
    this.flush();
    return this.chain;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.settle();
    this.closed = true;
    if (this.retention) clearInterval(this.retention);
    await this.backfilling;
    await this.pool.end();
  }

  underivedSessions(): Promise<number> {
    return this.closed ? Promise.resolve(0) : pgUnderivedSessions(this.pool);
  }

  /** One backfill batch (pg-backfill.ts); close() waits for the one running. */
  backfillBatch(maxEvents: number): Promise<BackfillBatch | null> {
    if (this.closed) return Promise.resolve(null);
    const batch = pgBackfillBatch(this.pool, maxEvents);
    this.backfilling = batch.catch(() => {});
    return batch;
  }

  private schedule(): void {
    if (this.queue.length >= ARCHIVE_FLUSH_EVENTS || this.rawBytes >= PG_FLUSH_RAW_BYTES) {
      this.immediate ??= setImmediate(() => this.flush());
      return;
    }
    if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), ARCHIVE_FLUSH_MS);
      this.timer.unref();
    }
  }

  /** The batch's rows: COPY text of events and chunks, actions, one delta row per session. */
  private encode(
    events: ImapscopeEvent[],
    chunks: RawChunk[],
    dropped: Map<string, number>,
  ): Batch {
    const t0 = performance.now();
    const actions = this.actions.record(events);
    const bodies = events.map((e) => eventJson(e));
    const patches = new Map<string, SessionDelta>();
    const perSession = new Map<string, number>();
    const patchOf = (session: string, at: number): SessionDelta => {
      let p = patches.get(session);
      if (!p) {
        p = { row: newSessionRow(session, at), lastAt: at, bytes: 0 };
        patches.set(session, p);
      }
      return p;
    };
    // The batch's events of a session fold into a delta row with the shared reducer
    // (session-row.ts), as in the SQLite archive: counts to add, null fields keep the stored.
    for (const [i, e] of events.entries()) {
      const p = patchOf(e.session, e.at);
      // The event's stored size counts toward the session's bytes (the size cap).
      p.bytes += bodies[i]!.length;
      if (e.type === 'session.open') p.row.startedAt = e.at;
      p.lastAt = Math.max(p.lastAt, e.at);
      applySessionEvent(p.row, e);
      perSession.set(e.session, (perSession.get(e.session) ?? 0) + 1);
    }
    for (const ch of chunks) patchOf(ch.session, ch.at).bytes += ch.data.byteLength;
    for (const [session, n] of dropped) {
      patchOf(session, this.now()).row.droppedEvents += n;
      perSession.set(session, (perSession.get(session) ?? 0) + n);
    }
    const instance = this.instance;
    const eventRows = copyChunks(
      EVENTS,
      events.map((e, i) => [e.session, e.seq, instance, e.gseq, e.at, e.type, bodies[i]!]),
    );
    const chunkRows = copyChunks(
      RAW_CHUNKS,
      chunks.map((ch) => [ch.session, ch.direction, ch.at, ch.data]),
    );
    const text = searchTextRows(events);
    const textRows = copyChunks(
      SESSION_TEXT,
      text.sessions.map((session, i) => [session, text.texts[i]!]),
    );
    const handedAt = performance.now();
    return {
      events,
      bodies,
      chunks,
      eventRows,
      chunkRows,
      textRows,
      actions,
      patches,
      perSession,
      handedAt,
      encodeMs: handedAt - t0,
    };
  }

  /**
   * One flush: one transaction, begun once the flush before the previous one is done (`slot`)
   * and committed once the previous one is (`previous`). Never rejects, and settles only after
   * `previous`: a failure is counted and reported.
   */
  private async commit(b: Batch, slot: Promise<void>, previous: Promise<void>): Promise<void> {
    await slot;
    const t0 = performance.now();
    let c: PoolClient | null = null;
    try {
      c = await this.pool.connect();
      await c.query('BEGIN');
      await this.insertEvents(c, b);
      await copyInto(c, SESSION_TEXT, b.textRows);
      await copyInto(c, RAW_CHUNKS, b.chunkRows);
      await insertActions(c, b.actions);
      // Sessions last, after the previous flush committed: both update the same rows.
      await previous;
      await this.upsertSessions(c, b.patches);
      await c.query('COMMIT');
      this.stats.eventsWritten += b.events.length;
      this.stats.chunksWritten += b.chunks.length;
      this.faults.succeeded();
      if (b.actions.length > 0) this.opts.onActions?.(b.actions);
    } catch (err) {
      if (c) await c.query('ROLLBACK').catch(() => {});
      await previous;
      // What the batch held is lost; each session's row counts its lost events next time.
      this.stats.eventsDropped += b.events.length;
      this.stats.chunksDropped += b.chunks.length;
      for (const [s, n] of b.perSession)
        this.droppedBySession.set(s, (this.droppedBySession.get(s) ?? 0) + n);
      this.faults.failed(err, b.events.length, b.chunks.length);
    } finally {
      c?.release();
      this.inFlight -= b.events.length;
    }
    const ms = b.encodeMs + (performance.now() - t0);
    this.opts.onFlushed?.(ms);
    this.stats.flushes += 1;
    if (ms > this.stats.maxFlushMs) this.stats.maxFlushMs = ms;
  }

  /**
   * One row per session of the batch: inserted, or its counters added to (one statement,
   * whatever the number of sessions: each column one array parameter).
   */
  private async upsertSessions(c: PoolClient, patches: Map<string, SessionDelta>): Promise<void> {
    if (patches.size === 0) return;
    const col = <T>(f: (p: SessionDelta) => T): T[] => [...patches.values()].map(f);
    await c.query(
      `INSERT INTO sessions AS s (id, instance, started_at, client, upstream, source, last_at,
         events, "user", state, ended_at, reason, bytes_c2s, bytes_s2c, dropped, exchanges, nos,
         bads, lints, gaps, gap_bytes, stored_bytes, client_name, client_version, derived)
       SELECT *, ${DERIVATION_VERSION} FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[],
         $6::text[], $7::bigint[], $8::bigint[], $9::text[], $10::text[], $11::bigint[],
         $12::text[], $13::bigint[], $14::bigint[], $15::bigint[], $16::bigint[], $17::bigint[],
         $18::bigint[], $19::bigint[], $20::bigint[], $21::bigint[], $22::bigint[], $23::text[],
         $24::text[])
       ON CONFLICT (id) DO UPDATE SET
         client = CASE WHEN s.client = '' THEN EXCLUDED.client ELSE s.client END,
         upstream = CASE WHEN s.upstream = '' THEN EXCLUDED.upstream ELSE s.upstream END,
         events = s.events + EXCLUDED.events, last_at = greatest(s.last_at, EXCLUDED.last_at),
         "user" = coalesce(EXCLUDED."user", s."user"), state = coalesce(EXCLUDED.state, s.state),
         ended_at = coalesce(EXCLUDED.ended_at, s.ended_at),
         reason = coalesce(EXCLUDED.reason, s.reason),
         bytes_c2s = coalesce(EXCLUDED.bytes_c2s, s.bytes_c2s),
         bytes_s2c = coalesce(EXCLUDED.bytes_s2c, s.bytes_s2c),
         dropped = s.dropped + EXCLUDED.dropped, exchanges = s.exchanges + EXCLUDED.exchanges,
         nos = s.nos + EXCLUDED.nos, bads = s.bads + EXCLUDED.bads,
         lints = s.lints + EXCLUDED.lints, gaps = s.gaps + EXCLUDED.gaps,
         gap_bytes = s.gap_bytes + EXCLUDED.gap_bytes,
         stored_bytes = s.stored_bytes + EXCLUDED.stored_bytes,
         client_name = coalesce(EXCLUDED.client_name, s.client_name),
         client_version = coalesce(EXCLUDED.client_version, s.client_version)`,
      [
        col((p) => p.row.id),
        col(() => this.instance),
        col((p) => p.row.startedAt),
        col((p) => p.row.client),
        col((p) => p.row.upstream),
        col(() => 'live'),
        col((p) => p.lastAt),
        col((p) => p.row.events),
        col((p) => p.row.user),
        col((p) => p.row.state),
        col((p) => p.row.endedAt),
        col((p) => p.row.reason),
        col((p) => p.row.bytesC2s),
        col((p) => p.row.bytesS2c),
        col((p) => p.row.droppedEvents),
        col((p) => p.row.exchangeCount),
        col((p) => p.row.noCount),
        col((p) => p.row.badCount),
        col((p) => p.row.lintCount),
        col((p) => p.row.gapCount),
        col((p) => p.row.gapBytes),
        col((p) => p.bytes),
        col((p) => p.row.clientName),
        col((p) => p.row.clientVersion),
      ],
    );
  }

  /**
   * The batch's events by COPY. COPY has no ON CONFLICT: an event already stored (the same
   * session and seq, as SQLite's INSERT OR IGNORE skips) fails it, and then, back at the
   * savepoint, the batch goes in by INSERT … ON CONFLICT DO NOTHING instead.
   */
  private async insertEvents(c: PoolClient, b: Batch): Promise<void> {
    if (b.events.length === 0) return;
    await c.query('SAVEPOINT events');
    try {
      await copyInto(c, EVENTS, b.eventRows);
    } catch (err) {
      if ((err as { code?: unknown }).code !== UNIQUE_VIOLATION) throw err;
      await c.query('ROLLBACK TO SAVEPOINT events');
      await c.query(
        `INSERT INTO events(session, seq, instance, gseq, at, type, body)
         SELECT u.session, u.seq, $3, u.gseq, u.at, u.type, u.body
         FROM unnest($1::text[], $2::integer[], $4::bigint[], $5::bigint[], $6::text[],
           $7::text[]) AS u(session, seq, gseq, at, type, body)
         ON CONFLICT DO NOTHING`,
        [
          b.events.map((e) => e.session),
          b.events.map((e) => e.seq),
          this.instance,
          b.events.map((e) => e.gseq),
          b.events.map((e) => e.at),
          b.events.map((e) => e.type),
          b.bodies,
        ],
      );
    }
  }

  async closeInterrupted(): Promise<number> {
    const r = await this.pool.query<{ id: string; last: number | null }>(
      `UPDATE sessions s SET ended_at = last_at, reason = 'interrupted'
       WHERE ended_at IS NULL AND source = 'live' AND instance = $1
       RETURNING id, (SELECT max(seq) FROM events e WHERE e.session = s.id) AS last`,
      [this.instance],
    );
    this.interrupted = new Map(r.rows.map((row) => [row.id, row.last ?? 0]));
    return r.rowCount ?? 0;
  }

  reopenInterrupted(id: string): number {
    const last = this.interrupted.get(id);
    if (last === undefined) return 0;
    this.interrupted.delete(id);
    this.flush();
    // In the flush chain: committed before the session's next events.
    this.chain = this.chain.then(async () => {
      await this.pool
        .query(
          `UPDATE sessions SET ended_at = NULL, reason = NULL
           WHERE id = $1 AND source = 'live' AND reason = 'interrupted'`,
          [id],
        )
        .catch((err: unknown) => this.faults.failed(err, 0, 0));
    });
    return last;
  }

  async markImported(id: string, source: string, endedAt: number): Promise<void> {
    await this.settle();
    await this.pool.query(
      `UPDATE sessions SET source = $1, ended_at = coalesce(ended_at, $2),
         reason = coalesce(reason, 'imported') WHERE id = $3`,
      [source, endedAt, id],
    );
  }

  async hasSession(id: string): Promise<boolean> {
    const r = await this.pool.query(`SELECT 1 FROM sessions WHERE id = $1`, [id]);
    return r.rowCount !== 0;
  }

  async enforceRetention(): Promise<number> {
    if (this.closed) return 0;
    await this.settle();
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      const lock = await c.query<{ got: boolean }>(`SELECT pg_try_advisory_xact_lock($1) AS got`, [
        PRUNE_LOCK,
      ]);
      // Another instance is pruning the shared store right now: its pass covers this one's.
      if (!lock.rows[0]!.got) {
        await c.query('COMMIT');
        return 0;
      }
      const ids: string[] = [];
      const days = this.opts.retainDays ?? 0;
      if (days > 0) {
        const r = await c.query<{ id: string }>(
          `SELECT id FROM sessions WHERE ended_at IS NOT NULL AND ended_at < $1`,
          [this.now() - days * 86_400_000],
        );
        ids.push(...r.rows.map((x) => x.id));
      }
      const max = this.opts.maxBytes ?? 0;
      if (max > 0) {
        // Oldest ended sessions first, until what is left fits (live ones never go).
        const r = await c.query<{ id: string }>(
          `WITH t AS (SELECT coalesce(sum(stored_bytes), 0) AS total FROM sessions
                      WHERE NOT (id = ANY($2::text[]))),
                o AS (SELECT id, stored_bytes,
                        sum(stored_bytes) OVER (ORDER BY started_at, id) AS upto
                      FROM sessions WHERE ended_at IS NOT NULL AND NOT (id = ANY($2::text[])))
           SELECT o.id FROM o, t WHERE o.upto - o.stored_bytes < t.total - $1`,
          [max, ids],
        );
        ids.push(...r.rows.map((x) => x.id));
      }
      if (ids.length > 0) {
        for (const table of ['events', 'raw_chunks', 'actions', 'session_text'])
          await c.query(`DELETE FROM ${table} WHERE session = ANY($1::text[])`, [ids]);
        await c.query(`DELETE FROM sessions WHERE id = ANY($1::text[])`, [ids]);
      }
      await c.query('COMMIT');
      return ids.length;
    } catch (err) {
      await c.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      c.release();
    }
  }

  async archiveBytes(): Promise<number> {
    const r = await this.pool.query<{ n: number }>(
      `SELECT coalesce(sum(stored_bytes), 0) AS n FROM sessions`,
    );
    return r.rows[0]!.n;
  }

  // The reads: the SQL of read.ts, actions.ts and stats.ts in PostgreSQL's dialect.

  /** The first page of {@link querySessions}, rows only. */
  async listSessions(f: SessionFilter = {}): Promise<SessionRow[]> {
    return (await this.querySessions(f)).sessions;
  }

  /**
   * read.ts querySessions in PostgreSQL's dialect. `text`: a case-insensitive substring of the
   * session's columns or of its searchable text, as on SQLite (pg-search-text.ts).
   */
  async querySessions(f: SessionFilter = {}, only?: readonly string[]): Promise<SessionPage> {
    const where: string[] = [];
    const params: unknown[] = [];
    const p = (v: unknown): string => {
      params.push(v);
      return `$${params.length}`;
    };
    if (f.user) where.push(`lower("user") = lower(${p(f.user)})`);
    if (f.client) where.push(`strpos(client, ${p(f.client)}) > 0`);
    if (f.from !== undefined) where.push(`(ended_at IS NULL OR ended_at >= ${p(f.from)})`);
    if (f.to !== undefined) where.push(`started_at <= ${p(f.to)}`);
    if (f.state === 'live') where.push(`ended_at IS NULL`);
    else if (f.state === 'ended') where.push(`ended_at IS NOT NULL`);
    else if (f.state) where.push(`state = ${p(f.state)}`);
    if (f.reason) where.push(`reason = ${p(f.reason)}`);
    const text = f.text?.trim();
    if (text) where.push(textCondition(text, p));
    if (only) where.push(`id = ANY(${p([...only])}::text[])`);
    const cond = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const sort = SORT_SQL[f.sort ?? 'started'].replace(/\buser\b/, '"user"');
    const dir = f.order === 'asc' ? 'ASC' : 'DESC';
    const offset = Math.max(0, Math.floor(f.offset ?? 0)) || 0;
    const total = (
      await this.pool.query<{ n: number }>(`SELECT count(*) AS n FROM sessions ${cond}`, params)
    ).rows[0]!.n;
    const rows = await this.pool.query<SessionDbRow>(
      `SELECT * FROM sessions ${cond}
       ORDER BY ${sort} ${dir}, started_at DESC, id COLLATE "C" DESC
       LIMIT ${p(pageSize(f.limit, 200))} OFFSET ${p(offset)}`,
      params,
    );
    return { sessions: rows.rows.map(toRow), total };
  }

  async getSession(id: string): Promise<SessionRow | undefined> {
    const r = await this.pool.query<SessionDbRow>(`SELECT * FROM sessions WHERE id = $1`, [id]);
    return r.rows[0] && toRow(r.rows[0]);
  }

  /** read.ts narrowSessions in PostgreSQL's dialect (the JSON parsed only for a latency). */
  async narrowSessions(ids: readonly string[], condition: SessionCondition): Promise<string[]> {
    const params: unknown[] = [[...ids]];
    const cond = conditionSql(condition, {
      param: (v) => `$${params.push(v)}`,
      contains: (haystack, needle) => `strpos(${haystack}, ${needle}::text) > 0`,
      latencyMs: `(e.body::json ->> 'latencyMs')::float8`,
    });
    const r = await this.pool.query<{ id: string }>(
      `SELECT id FROM sessions s WHERE s.id = ANY($1::text[]) AND ${cond}`,
      params,
    );
    return r.rows.map((x) => x.id);
  }

  async sessionEvents(session: string, afterSeq: number, limit: number): Promise<ImapscopeEvent[]> {
    const r = await this.pool.query<{ body: string }>(
      `SELECT body FROM events WHERE session = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
      [session, afterSeq, limit],
    );
    return r.rows.map((x) => fromJson<ImapscopeEvent>(x.body));
  }

  async sessionEvent(session: string, seq: number): Promise<ImapscopeEvent | undefined> {
    const r = await this.pool.query<{ body: string }>(
      `SELECT body FROM events WHERE session = $1 AND seq = $2`,
      [session, seq],
    );
    return r.rows[0] && fromJson<ImapscopeEvent>(r.rows[0].body);
  }

  async eventsByGseq(after: number, until: number, limit: number): Promise<ImapscopeEvent[]> {
    const r = await this.pool.query<{ body: string }>(
      `SELECT body FROM events WHERE instance = $1 AND gseq > $2 AND gseq <= $3
       ORDER BY gseq LIMIT $4`,
      [this.instance, after, until, limit],
    );
    return r.rows.map((x) => fromJson<ImapscopeEvent>(x.body));
  }

  async maxGseq(): Promise<number> {
    const r = await this.pool.query<{ m: number | null }>(
      `SELECT max(gseq) AS m FROM events WHERE instance = $1 AND gseq > 0`,
      [this.instance],
    );
    return r.rows[0]?.m ?? 0;
  }

  async hasChunks(session: string): Promise<boolean> {
    const r = await this.pool.query(`SELECT 1 FROM raw_chunks WHERE session = $1 LIMIT 1`, [
      session,
    ]);
    return r.rowCount !== 0;
  }

  async *sessionChunks(session: string): AsyncIterable<StoredChunk> {
    let last = 0;
    for (;;) {
      const r = await this.pool.query<{
        id: number;
        direction: Direction;
        at: number;
        data: Buffer;
      }>(
        `SELECT id, direction, at, data FROM raw_chunks WHERE session = $1 AND id > $2
         ORDER BY id LIMIT 1000`,
        [session, last],
      );
      if (r.rows.length === 0) return;
      for (const row of r.rows) {
        last = row.id;
        yield { direction: row.direction, at: row.at, data: row.data };
      }
    }
  }

  streamRange(
    session: string,
    direction: Direction,
    start: number,
    end: number,
  ): AsyncIterable<Buffer> {
    return pgStreamRange(this.pool, session, direction, start, end);
  }

  async queryActions(filter: AuditFilter): Promise<AuditAction[]> {
    const { sql, args } = actionsQuery(filter);
    const r = await this.pool.query<{ body: string }>(numbered(sql), args);
    return r.rows.map((x) => fromJson<AuditAction>(x.body));
  }

  async commandStats(filter: StatsFilter = {}): Promise<CommandStats[]> {
    const where = [`e.type = 'exchange'`];
    const args: unknown[] = [];
    const add = (sql: string, value: unknown): void => {
      args.push(value);
      where.push(sql.replace('?', `$${args.length}`));
    };
    if (filter.since !== undefined) add('e.at >= ?', filter.since);
    if (filter.until !== undefined) add('e.at < ?', filter.until);
    if (filter.user !== undefined) add('s."user" = ?', filter.user);
    if (filter.upstream !== undefined) add('s.upstream = ?', filter.upstream);
    const grp =
      filter.by === 'user' ? 's."user"' : filter.by === 'upstream' ? 's.upstream' : 'NULL';
    const r = await this.pool.query<StatsRow>(
      `SELECT j->>'command' AS command, (j->>'uid') = 'true' AS uid, j->>'status' AS status,
              (j->>'latencyMs')::float8 AS latency, ${grp} AS grp
       FROM events e JOIN sessions s ON s.id = e.session CROSS JOIN LATERAL
         (SELECT e.body::jsonb AS j) x
       WHERE ${where.join(' AND ')}`,
      args,
    );
    return aggregateStats(r.rows, filter);
  }

  async earlierImport(hash: string): Promise<{ session: string; name: string } | null> {
    const r = await this.pool.query<{ session: string; name: string; alive: string | null }>(
      `SELECT i.session, i.name, s.id AS alive FROM imports i
       LEFT JOIN sessions s ON s.id = i.session WHERE i.hash = $1`,
      [hash],
    );
    const row = r.rows[0];
    if (!row) return null;
    if (row.alive === null) {
      await this.pool.query(`DELETE FROM imports WHERE hash = $1`, [hash]);
      return null;
    }
    return { session: row.session, name: row.name };
  }

  async recordImport(hash: string, session: string, name: string): Promise<void> {
    await this.pool.query(
      `INSERT INTO imports(hash, session, name, at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (hash) DO UPDATE SET session = EXCLUDED.session, name = EXCLUDED.name,
         at = EXCLUDED.at`,
      [hash, session, name, Date.now()],
    );
  }
}
