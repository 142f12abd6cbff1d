import type { Database as Db, Statement } from 'better-sqlite3';
import type { ImapscopeEvent } from '../../shared/events.ts';
import { formatEndpoint } from '../../shared/session-row.ts';
import { eventJson } from '../hub/event-json.ts';
import {
  ARCHIVE_FLUSH_EVENTS,
  ARCHIVE_FLUSH_MS,
  ARCHIVE_MAX_QUEUE_SPANS,
  ARCHIVE_RETENTION_INTERVAL_MS,
} from '../limits.ts';
import type { RawChunk, Sink } from '../hub/hub.ts';
import type { AuditAction, AuditFilter } from '../../shared/audit.ts';
import type { SessionFilter, SessionPage, SessionRow } from '../../shared/protocol.ts';
import { earlierImport, recordImport } from './imports.ts';
import { streamRange } from './literal-bytes.ts';
import { ActionRecorder, queryActions } from './actions.ts';
import type { SessionCondition } from './filter-prefilter.ts';
import * as read from './read.ts';
import { commandStats, type CommandStats, type StatsFilter } from './stats.ts';
import { admitEvents, type ArchiveStats, type ArchiveStore, type StoredChunk } from './store.ts';
import type { Direction } from '../../shared/direction.ts';
import { RawFiles } from './raw-files.ts';
import { DERIVATION_VERSION, openArchiveDb } from './schema.ts';
import {
  foldEvent,
  newSessionPatch,
  SearchTextWriter,
  type SessionPatch,
} from './session-patch.ts';
import { WriteFaults, type WriteFaultOptions } from './write-faults.ts';
import type { BackfillBatch } from './backfill.ts';
import { SqliteBackfill, underivedSessions } from './sqlite-backfill.ts';

export interface ArchiveOptions {
  /** Ended sessions older than this many days are deleted; 0 keeps them forever. */
  retainDays?: number;
  /** Oldest ended sessions are deleted while the database is larger; 0: no size cap. */
  maxBytes?: number;
  /**
   * Failed writes (a full disk): what was queued is lost and the proxy goes on. Called at
   * most once per WARN_INTERVAL_MS while writes fail, with the losses since the last call.
   */
  onError?: WriteFaultOptions['onError'];
  /** Once when a write commits after failures, with what the whole outage lost. */
  onRecover?: WriteFaultOptions['onRecover'];
  /** The audit actions a flush committed (the log's `action` lines: durable when logged). */
  onActions?: (actions: readonly AuditAction[]) => void;
  /** After every flush that had something to write, with how long it took (ms): /metrics. */
  onFlushed?: (ms: number) => void;
  /**
   * Run a retention pass when opening (default true). false: the caller ran it already
   * (recovery.ts, before this process opened the archive for writing).
   */
  pruneOnOpen?: boolean;
  now?: () => number;
  /** The instance name recorded in each session row (`--instance`); '' when unnamed. */
  instance?: string;
}

export type { ArchiveStats };

export type { SessionPatch };

/**
 * Event rows per INSERT statement: one statement per row made a flush cross from JavaScript to
 * SQLite and back once per event.
 */
const EVENT_ROWS_PER_INSERT = 64;

/** A raw chunk appended to a segment file, waiting for its writes and then its span row. */
interface PendingSpan {
  session: string;
  direction: string;
  at: number;
  segment: number;
  offset: number;
  length: number;
  /** The writes holding its bytes (raw-files.ts RawAppend). */
  first: number;
  last: number;
}

/**
 * The durable archive (SQLite, WAL) as a hub sink. `write` only queues events (O(1), never
 * touching disk); the queue is written in one transaction per flush, every ARCHIVE_FLUSH_MS or
 * as soon as ARCHIVE_FLUSH_EVENTS are queued, so a SIGKILL loses at most the last flush
 * interval. `raw` appends large batches to the current segment file at once (one writev per
 * call) and copies small ones into the segment files' staging buffer (raw-files.ts), written in
 * one append when it fills or first thing at the flush; only their spans wait for the flush:
 * holding the bytes themselves until then kept up to a quarter second of a bulk FETCH alive
 * and made the inspection thread's garbage collector work for it. Past ARCHIVE_MAX_QUEUE_EVENTS events (or ARCHIVE_MAX_QUEUE_SPANS
 * spans) more are dropped and counted (events per session: `dropped` in the session row).
 */
export class Archive implements Sink, ArchiveStore {
  readonly name = 'archive';
  readonly kind = 'sqlite';
  readonly instance: string;
  readonly db: Db;
  readonly stats: ArchiveStats = {
    eventsWritten: 0,
    chunksWritten: 0,
    eventsDropped: 0,
    chunksDropped: 0,
    flushes: 0,
    maxFlushMs: 0,
  };
  private queue: ImapscopeEvent[] = [];
  private spanQueue: PendingSpan[] = [];
  /** The spans the running flush commits (their bytes are written). */
  private committingSpans: PendingSpan[] = [];
  private droppedBySession = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  private readonly retention: NodeJS.Timeout | null = null;
  private closed = false;
  private readonly insertEvent: Statement;
  /** insertEvent for EVENT_ROWS_PER_INSERT rows at once. */
  private readonly insertEvents: Statement;
  private readonly insertSpan: Statement;
  private readonly rawFiles: RawFiles;
  private readonly openSession: Statement;
  private readonly patchSession: Statement;
  private readonly searchText: SearchTextWriter;
  private readonly txn: () => void;
  private readonly now: () => number;
  /** The audit trail, derived from the events as they are written. */
  private readonly actions: ActionRecorder;
  /** Actions the running flush derived; handed to onActions once it commits. */
  private committing: AuditAction[] = [];
  private readonly faults: WriteFaults;
  /** Made on the first backfill call (sqlite-backfill.ts). */
  private backfill: SqliteBackfill | null = null;

  constructor(
    file: string,
    private readonly opts: ArchiveOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.instance = opts.instance ?? '';
    this.faults = new WriteFaults({
      onError: opts.onError,
      onRecover: opts.onRecover,
      now: this.now,
    });
    this.db = openArchiveDb(file);
    const eventsInsert = `INSERT OR IGNORE INTO events(session, seq, gseq, at, type, body) VALUES `;
    const eventRow = `(?, ?, ?, ?, ?, ?)`;
    this.insertEvent = this.db.prepare(eventsInsert + eventRow);
    this.insertEvents = this.db.prepare(
      eventsInsert + Array<string>(EVENT_ROWS_PER_INSERT).fill(eventRow).join(', '),
    );
    // Raw bytes go to append-only segment files beside the database (raw-files.ts); rows hold spans.
    this.rawFiles = new RawFiles(this.db);
    this.insertSpan = this.db.prepare(
      `INSERT INTO raw_spans(session, direction, at, segment, offset, length)
       VALUES (?, ?, ?, ?, ?, ?)`,
    );
    // Derived as it is written (below): the backfill (backfill.ts) never needs to visit it.
    this.openSession = this.db.prepare(
      `INSERT OR IGNORE INTO sessions(id, started_at, client, upstream, source, last_at, instance,
         derived)
       VALUES (?, ?, ?, ?, ?, ?, ?, ${DERIVATION_VERSION})`,
    );
    this.patchSession = this.db.prepare(
      `UPDATE sessions SET events = events + ?, last_at = max(last_at, ?),
         user = coalesce(?, user), state = coalesce(?, state), ended_at = coalesce(?, ended_at),
         reason = coalesce(?, reason), bytes_c2s = coalesce(?, bytes_c2s),
         bytes_s2c = coalesce(?, bytes_s2c), dropped = dropped + ?, exchanges = exchanges + ?,
         nos = nos + ?, bads = bads + ?, lints = lints + ?, gaps = gaps + ?,
         gap_bytes = gap_bytes + ?, client_name = coalesce(?, client_name),
         client_version = coalesce(?, client_version)
       WHERE id = ?`,
    );
    this.searchText = new SearchTextWriter(this.db);
    this.actions = new ActionRecorder(this.db);
    this.txn = this.db.transaction(() => this.writeQueued());
    if (opts.retainDays || opts.maxBytes) {
      if (opts.pruneOnOpen !== false) this.prune();
      this.retention = setInterval(() => {
        try {
          this.prune();
        } catch (err) {
          // Deleting needs a little space too; on a full disk it fails like any write.
          this.faults.failed(err, 0, 0);
        }
      }, ARCHIVE_RETENTION_INTERVAL_MS);
      this.retention.unref();
    }
  }

  /**
   * Marks live sessions left by a process that died (SIGKILL, crash) as ended `interrupted`
   * at their last event. Call once at start, before this process records sessions.
   */
  closeInterrupted(): Promise<number> {
    return Promise.resolve(this.closeInterruptedNow());
  }

  /** closeInterrupted, synchronously. */
  closeInterruptedNow(): number {
    return this.db
      .prepare(
        `UPDATE sessions SET ended_at = last_at, reason = 'interrupted'
         WHERE ended_at IS NULL AND source = 'live'`,
      )
      .run().changes;
  }

  /**
   * A session that was live when the inspection thread died and goes on being inspected by the
   * next one: undoes closeInterrupted for it and returns its last seq (0 when it has none), so
   * its events continue after it.
   */
  reopenInterrupted(id: string): number {
    this.flush();
    this.db
      .prepare(
        `UPDATE sessions SET ended_at = NULL, reason = NULL
         WHERE id = ? AND source = 'live' AND reason = 'interrupted'`,
      )
      .run(id);
    const r = this.db.prepare(`SELECT max(seq) AS m FROM events WHERE session = ?`).get(id) as {
      m: number | null;
    };
    return r.m ?? 0;
  }

  /** Names an imported session's source and ends it (an import is never live). */
  markImported(id: string, source: string, endedAt: number): Promise<void> {
    this.markImportedNow(id, source, endedAt);
    return Promise.resolve();
  }

  /** markImported, synchronously. */
  markImportedNow(id: string, source: string, endedAt: number): void {
    this.flush();
    this.db
      .prepare(
        `UPDATE sessions SET source = ?, ended_at = coalesce(ended_at, ?),
           reason = coalesce(reason, 'imported') WHERE id = ?`,
      )
      .run(source, endedAt, id);
  }

  write(events: readonly ImapscopeEvent[]): void {
    if (this.closed) return;
    if (admitEvents(this.queue.length, events, this.droppedBySession, this.stats)) {
      for (const e of events) this.queue.push(e);
    }
    this.schedule();
  }

  raw(chunks: readonly RawChunk[]): void {
    if (this.closed || chunks.length === 0) return;
    if (this.spanQueue.length + chunks.length > ARCHIVE_MAX_QUEUE_SPANS) {
      this.stats.chunksDropped += chunks.length;
      this.schedule();
      return;
    }
    let place;
    try {
      place = this.rawFiles.append(chunks.map((c) => c.data));
    } catch (err) {
      // No segment could be opened (a full disk): these bytes are lost; the proxy goes on.
      this.stats.chunksDropped += chunks.length;
      this.faults.failed(err, 0, chunks.length);
      return;
    }
    let offset = place.offset;
    for (const c of chunks) {
      const length = c.data.byteLength;
      this.spanQueue.push({
        session: c.session,
        direction: c.direction,
        at: c.at,
        segment: place.segment,
        offset,
        length,
        first: place.first,
        last: place.last,
      });
      offset += length;
    }
    this.schedule();
  }

  /**
   * Sends the appended raw bytes to the writer thread (`wait`: and waits until they are
   * written) and takes the spans whose writes are done for this flush. Spans of a failed write
   * (a full disk) are dropped and counted; the proxy goes on. The others wait for a later flush.
   */
  private takeSpans(wait: boolean): PendingSpan[] {
    if (this.spanQueue.length === 0) return [];
    let done: number;
    try {
      if (wait) this.rawFiles.sync();
      else this.rawFiles.send();
      done = this.rawFiles.done;
    } catch (err) {
      // The writer thread made no progress for RAW_WRITE_STALL_MS: count the spans as lost.
      const lost = this.spanQueue.length;
      this.spanQueue = [];
      this.stats.chunksDropped += lost;
      this.faults.failed(err, 0, lost);
      return [];
    }
    const queue = this.spanQueue;
    let n = 0;
    while (n < queue.length && queue[n]!.last <= done) n += 1;
    if (n === 0) return [];
    const ready = n === queue.length ? queue : queue.slice(0, n);
    this.spanQueue = n === queue.length ? [] : queue.slice(n);
    if (this.rawFiles.failure(ready[0]!.first, ready[n - 1]!.last) === null) return ready;
    const kept: PendingSpan[] = [];
    let lost = 0;
    let error: Error | null = null;
    for (const span of ready) {
      const err = this.rawFiles.failure(span.first, span.last);
      if (err === null) kept.push(span);
      else {
        lost += 1;
        error ??= err;
      }
    }
    this.rawFiles.forget(ready[n - 1]!.last);
    this.stats.chunksDropped += lost;
    this.faults.failed(error, 0, lost);
    return kept;
  }

  /**
   * Writes everything queued, in one transaction, after waiting for the raw bytes' writes.
   * Synchronous; safe to call any time.
   */
  flush(): void {
    this.flushSome(true);
  }

  /**
   * The timer's flush: commits the events and the spans whose bytes are written; spans whose
   * writes are still running wait for the next one (`wait`: waits for them, see {@link flush}).
   */
  private flushSome(wait: boolean): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = null;
    this.immediate = null;
    this.committingSpans = this.takeSpans(wait);
    if (this.spanQueue.length > 0) this.schedule();
    if (
      this.queue.length === 0 &&
      this.committingSpans.length === 0 &&
      this.droppedBySession.size === 0
    )
      return;
    const t0 = performance.now();
    // The transaction takes the queues at once: count what it held before it may fail.
    const events = this.queue;
    const spans = this.committingSpans;
    // The transaction clears the per-session drop counts; a failed one must not lose them.
    const droppedBefore = this.droppedBySession.size > 0 ? new Map(this.droppedBySession) : null;
    try {
      this.txn();
      this.faults.succeeded();
      if (this.committing.length > 0) this.opts.onActions?.(this.committing);
    } catch (err) {
      // A full disk or a locked file: what was queued is lost; the proxy goes on. Each
      // session's row counts its lost events once writes work again.
      this.queue = [];
      this.committingSpans = [];
      this.stats.eventsDropped += events.length;
      this.stats.chunksDropped += spans.length;
      if (droppedBefore) this.droppedBySession = droppedBefore;
      for (const e of events)
        this.droppedBySession.set(e.session, (this.droppedBySession.get(e.session) ?? 0) + 1);
      this.faults.failed(err, events.length, spans.length);
    }
    const ms = performance.now() - t0;
    this.opts.onFlushed?.(ms);
    this.stats.flushes += 1;
    if (ms > this.stats.maxFlushMs) this.stats.maxFlushMs = ms;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    if (this.retention) clearInterval(this.retention);
    this.rawFiles.close();
    this.db.close();
  }

  settle(): Promise<void> {
    this.flush();
    return Promise.resolve();
  }

  // The reads (ArchiveStore), answered at once from read.ts over this connection.
  listSessions(f?: SessionFilter): Promise<SessionRow[]> {
    return Promise.resolve(read.listSessions(this.db, f));
  }

  querySessions(f?: SessionFilter, only?: readonly string[]): Promise<SessionPage> {
    return Promise.resolve(read.querySessions(this.db, f, only));
  }

  getSession(id: string): Promise<SessionRow | undefined> {
    return Promise.resolve(read.getSession(this.db, id));
  }

  hasSession(id: string): Promise<boolean> {
    return Promise.resolve(read.getSession(this.db, id) !== undefined);
  }

  narrowSessions(ids: readonly string[], condition: SessionCondition): Promise<string[]> {
    return Promise.resolve(read.narrowSessions(this.db, ids, condition));
  }

  sessionEvents(session: string, afterSeq: number, limit: number): Promise<ImapscopeEvent[]> {
    return Promise.resolve(read.sessionEvents(this.db, session, afterSeq, limit));
  }

  sessionEvent(session: string, seq: number): Promise<ImapscopeEvent | undefined> {
    return Promise.resolve(read.sessionEvent(this.db, session, seq));
  }

  eventsByGseq(after: number, until: number, limit: number): Promise<ImapscopeEvent[]> {
    return Promise.resolve(read.eventsByGseq(this.db, after, until, limit));
  }

  maxGseq(): Promise<number> {
    return Promise.resolve(read.maxGseq(this.db));
  }

  hasChunks(session: string): Promise<boolean> {
    return Promise.resolve(read.hasChunks(this.db, session));
  }

  async *sessionChunks(session: string): AsyncIterable<StoredChunk> {
    yield* read.sessionChunks(this.db, session);
  }

  async *streamRange(
    session: string,
    direction: Direction,
    start: number,
    end: number,
  ): AsyncIterable<Buffer> {
    yield* streamRange(this.db, session, direction, start, end);
  }

  queryActions(filter: AuditFilter): Promise<AuditAction[]> {
    return Promise.resolve(queryActions(this.db, filter));
  }

  commandStats(filter: StatsFilter): Promise<CommandStats[]> {
    return Promise.resolve(commandStats(this.db, filter));
  }

  earlierImport(hash: string): Promise<{ session: string; name: string } | null> {
    return Promise.resolve(earlierImport(this.db, hash));
  }

  recordImport(hash: string, session: string, name: string): Promise<void> {
    recordImport(this.db, hash, session, name);
    return Promise.resolve();
  }

  enforceRetention(): Promise<number> {
    return Promise.resolve(this.prune());
  }

  archiveBytes(): Promise<number> {
    return Promise.resolve(this.usedBytes());
  }

  underivedSessions(): Promise<number> {
    return Promise.resolve(this.closed ? 0 : underivedSessions(this.db));
  }

  /**
   * One backfill batch (sqlite-backfill.ts), synchronously between flushes. A failed one (a
   * full disk) rejects; the batch's work is rolled back and done again next time.
   */
  backfillBatch(maxEvents: number): Promise<BackfillBatch | null> {
    if (this.closed) return Promise.resolve(null);
    this.backfill ??= new SqliteBackfill(this.db);
    try {
      return Promise.resolve(this.backfill.batch(maxEvents));
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  /** Queued events not yet written. */
  get pending(): number {
    return this.queue.length;
  }

  private schedule(): void {
    if (this.queue.length >= ARCHIVE_FLUSH_EVENTS) {
      this.immediate ??= setImmediate(() => this.flushSome(false));
      return;
    }
    if (!this.timer) {
      this.timer = setTimeout(() => this.flushSome(false), ARCHIVE_FLUSH_MS);
      this.timer.unref();
    }
  }

  private writeQueued(): void {
    const events = this.queue;
    const spans = this.committingSpans;
    this.queue = [];
    this.committingSpans = [];
    const patches = new Map<string, SessionPatch>();
    // Rows go in EVENT_ROWS_PER_INSERT at a time; the last few one by one.
    let rows: unknown[] = [];
    for (const e of events) {
      if (e.type === 'session.open') {
        const client = formatEndpoint(e.client);
        const upstream = formatEndpoint(e.upstream);
        this.openSession.run(e.session, e.at, client, upstream, 'live', e.at, this.instance);
      }
      let p = patches.get(e.session);
      if (!p) {
        p = newSessionPatch(e.session, e.at);
        patches.set(e.session, p);
      }
      foldEvent(p, e);
      rows.push(e.session, e.seq, e.gseq, e.at, e.type, eventJson(e));
      if (rows.length === EVENT_ROWS_PER_INSERT * 6) {
        this.insertEvents.run(rows);
        rows = [];
      }
    }
    for (let i = 0; i < rows.length; i += 6) this.insertEvent.run(rows.slice(i, i + 6));
    for (const [session, n] of this.droppedBySession) {
      const now = this.now();
      const p = patches.get(session) ?? newSessionPatch(session, now);
      p.row.droppedEvents += n;
      patches.set(session, p);
    }
    this.droppedBySession.clear();
    this.committing = this.actions.record(events);
    for (const [id, p] of patches) {
      // A session whose session.open came before the archive (or was dropped) still gets a row.
      const r = p.row;
      this.openSession.run(id, r.startedAt, '', '', 'live', p.lastAt, this.instance);
      this.patchSession.run(
        r.events,
        p.lastAt,
        r.user,
        r.state,
        r.endedAt,
        r.reason,
        r.bytesC2s,
        r.bytesS2c,
        r.droppedEvents,
        r.exchangeCount,
        r.noCount,
        r.badCount,
        r.lintCount,
        r.gapCount,
        r.gapBytes,
        r.clientName,
        r.clientVersion,
        id,
      );
      this.searchText.write(id, p.text);
    }
    // Their bytes are written (takeSpans); the spans are committed with the events.
    for (const c of spans) {
      this.insertSpan.run(c.session, c.direction, c.at, c.segment, c.offset, c.length);
    }
    this.stats.eventsWritten += events.length;
    this.stats.chunksWritten += spans.length;
  }

  /**
   * Retention: deletes ended sessions older than `retainDays`, then the oldest ended sessions
   * while the database holds more than `maxBytes`, and gives the freed pages back to the file
   * system. Live sessions are never deleted. Returns how many sessions went.
   */
  prune(): number {
    if (this.closed) return 0;
    this.flush();
    let removed = 0;
    const del = this.db.transaction((ids: string[]) => {
      for (const id of ids) {
        this.db.prepare(`DELETE FROM events WHERE session = ?`).run(id);
        this.db.prepare(`DELETE FROM chunks WHERE session = ?`).run(id);
        this.db.prepare(`DELETE FROM raw_spans WHERE session = ?`).run(id);
        this.db.prepare(`DELETE FROM actions WHERE session = ?`).run(id);
        this.db
          .prepare(
            `DELETE FROM session_text WHERE rowid IN (SELECT id FROM search_rows WHERE session = ?)`,
          )
          .run(id);
        this.db.prepare(`DELETE FROM search_rows WHERE session = ?`).run(id);
        this.db.prepare(`DELETE FROM sessions WHERE id = ?`).run(id);
      }
    });
    const dropped: string[] = [];
    const drop = (ids: string[]): void => {
      del(ids);
      dropped.push(...ids);
    };
    const days = this.opts.retainDays ?? 0;
    if (days > 0) {
      const cutoff = this.now() - days * 86_400_000;
      const ids = this.db
        .prepare(`SELECT id FROM sessions WHERE ended_at IS NOT NULL AND ended_at < ?`)
        .pluck()
        .all(cutoff) as string[];
      drop(ids);
      removed += ids.length;
    }
    const max = this.opts.maxBytes ?? 0;
    for (let round = 0; max > 0 && round < 100 && this.usedBytes() > max; round++) {
      const ids = this.db
        .prepare(
          `SELECT id FROM sessions WHERE ended_at IS NOT NULL ORDER BY started_at LIMIT
           max(1, (SELECT count(*) FROM sessions) / 10)`,
        )
        .pluck()
        .all() as string[];
      if (ids.length === 0) break;
      drop(ids);
      removed += ids.length;
    }
    // Segments a long-lived session would otherwise pin (see raw-files.ts) are compacted.
    const compacted = this.rawFiles.compact();
    if (removed > 0 || compacted > 0) {
      this.rawFiles.removeUnused(dropped);
      this.db.pragma('incremental_vacuum');
      this.db.pragma('wal_checkpoint(TRUNCATE)');
    }
    return removed;
  }

  /** Bytes in use: database pages minus free pages, plus the raw files' archived spans. */
  usedBytes(): number {
    const pages = this.db.pragma('page_count', { simple: true }) as number;
    const free = this.db.pragma('freelist_count', { simple: true }) as number;
    const size = this.db.pragma('page_size', { simple: true }) as number;
    const raw = this.db.prepare(`SELECT coalesce(sum(length), 0) FROM raw_spans`).pluck().get();
    return (pages - free) * size + Number(raw);
  }
}
