/**
 * The archive as the rest of imapscope sees it: one interface, two implementations.
 * - SQLite (archive.ts `Archive`, the embedded default): one file in --data, one instance.
 * - PostgreSQL (pg-archive.ts `PgArchive`, `--archive postgres://…`): one database shared by
 *   many instances, each session tagged with the instance that relayed it.
 *
 * Writes come from the hub (`write`, `raw`: queued, O(1), never waiting on the database) and
 * are committed in batches every ARCHIVE_FLUSH_MS; `settle()` resolves once everything queued
 * so far is committed, so a read after it sees every event published before it. Reads are
 * async (PostgreSQL's client is); SQLite answers them at once.
 */
import type { AuditAction, AuditFilter } from '../../shared/audit.ts';
import type { Direction } from '../../shared/direction.ts';
import type { ImapscopeEvent } from '../../shared/events.ts';
import type { SessionFilter, SessionPage, SessionRow } from '../../shared/protocol.ts';
import type { RawChunk, Sink } from '../hub/hub.ts';
import { ARCHIVE_MAX_QUEUE_EVENTS } from '../limits.ts';
import type { Backfillable } from './backfill.ts';
import type { SessionCondition } from './filter-prefilter.ts';
import type { CommandStats, StatsFilter } from './stats.ts';

/** Counters for the log, the API and the benchmark. */
export interface ArchiveStats {
  eventsWritten: number;
  chunksWritten: number;
  eventsDropped: number;
  chunksDropped: number;
  flushes: number;
  /** Longest single write transaction, ms (how long it held the event loop). */
  maxFlushMs: number;
}

/** One raw chunk of a session as archived. */
export interface StoredChunk {
  direction: Direction;
  at: number;
  data: Buffer;
}

/** The reads the UI, the CLI, exports and imports make. */
export interface ArchiveReader {
  /** Sessions matching every given filter, newest first (read.ts listSessions). */
  listSessions(f?: SessionFilter): Promise<SessionRow[]>;
  /**
   * One page of the sessions matching `f` (sorted, offset, limited) and how many match in all
   * (read.ts querySessions); `only`: among these session ids alone (the display filter's).
   */
  querySessions(f?: SessionFilter, only?: readonly string[]): Promise<SessionPage>;
  getSession(id: string): Promise<SessionRow | undefined>;
  /**
   * Of the sessions `ids`, those meeting `condition` (filter-prefilter.ts: what a display
   * filter's match needs of the session row and its events), in no particular order; ids of no
   * session are left out (read.ts narrowSessions).
   */
  narrowSessions(ids: readonly string[], condition: SessionCondition): Promise<string[]>;
  /** A session's events with seq > afterSeq, in seq order, at most `limit`. */
  sessionEvents(session: string, afterSeq: number, limit: number): Promise<ImapscopeEvent[]>;
  sessionEvent(session: string, seq: number): Promise<ImapscopeEvent | undefined>;
  /** This instance's live events with after < gseq ≤ until, in gseq order, at most `limit`. */
  eventsByGseq(after: number, until: number, limit: number): Promise<ImapscopeEvent[]>;
  /** The highest gseq this instance archived (0 when none): its hub continues from it. */
  maxGseq(): Promise<number>;
  /** Whether any raw chunks were archived for the session. */
  hasChunks(session: string): Promise<boolean>;
  /** A session's raw (redacted) chunks in arrival order, read in pages. */
  sessionChunks(session: string): AsyncIterable<StoredChunk>;
  /**
   * The bytes of one direction's stream (its raw chunks laid end to end) from `start`
   * (inclusive) to `end` (exclusive), in order, read lazily; fewer bytes than asked when the
   * archive holds less (literal-bytes.ts cuts a whole literal's body out of it).
   */
  streamRange(
    session: string,
    direction: Direction,
    start: number,
    end: number,
  ): AsyncIterable<Buffer>;
  /** Audit actions, newest first (actions.ts queryActions). */
  queryActions(filter: AuditFilter): Promise<AuditAction[]>;
  /** Latency statistics per command (stats.ts commandStats). */
  commandStats(filter: StatsFilter): Promise<CommandStats[]>;
  /** The session an earlier import of this content hash made, if it is still archived. */
  earlierImport(hash: string): Promise<{ session: string; name: string } | null>;
  recordImport(hash: string, session: string, name: string): Promise<void>;
}

/**
 * The archive: the hub's sink plus the reads, the few writes outside the hub, and the backfill
 * of sessions an earlier imapscope archived (backfill.ts).
 */
export interface ArchiveStore extends Sink, ArchiveReader, Backfillable {
  readonly kind: 'sqlite' | 'postgres';
  /** Raw (masked) bytes of sessions, queued like events. */
  raw(chunks: readonly RawChunk[]): void;
  /** The instance whose sessions this process records (`--instance`). */
  readonly instance: string;
  readonly stats: ArchiveStats;
  /** Queued events not yet written. */
  readonly pending: number;
  /** Starts writing what is queued now (synchronous for SQLite; see `settle`). */
  flush(): void;
  /** Resolves when everything queued before the call is committed (or counted as lost). */
  settle(): Promise<void>;
  /**
   * Marks this instance's live sessions left by a process that died as ended `interrupted`
   * at their last event. Other instances' live sessions are theirs: never touched.
   */
  closeInterrupted(): Promise<number>;
  /**
   * Undoes closeInterrupted for a session a restarted inspection thread goes on with; returns
   * its last archived seq. Synchronous: the thread handles its messages synchronously.
   */
  reopenInterrupted(id: string): number;
  /** Names an imported session's source and ends it. */
  markImported(id: string, source: string, endedAt: number): Promise<void>;
  /** Whether a session id is taken. */
  hasSession(id: string): Promise<boolean>;
  /** Retention and the size cap; only ended sessions are deleted. Returns how many went. */
  enforceRetention(): Promise<number>;
  /** Bytes the archive uses (what the size cap compares with). */
  archiveBytes(): Promise<number>;
  close(): Promise<void>;
}

/** A postgres:// URL with its password masked, for logs and the ready line. */
export function maskArchiveUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    for (const k of [...u.searchParams.keys()]) {
      if (/pass|secret|key/i.test(k)) u.searchParams.set(k, '***');
    }
    return u.toString();
  } catch {
    return 'postgres://(unparsable)';
  }
}

/** Whether an --archive value names a PostgreSQL database. */
export function isPostgresUrl(s: string): boolean {
  return /^postgres(ql)?:\/\//i.test(s);
}

/**
 * The admission rule both archives' `write()` share: `events` join a queue holding `queued`
 * events only while the total stays within ARCHIVE_MAX_QUEUE_EVENTS. Past it they are lost,
 * counted in `stats` and per session (each session's row shows its lost events once writes
 * catch up); returns whether they were admitted.
 */
export function admitEvents(
  queued: number,
  events: readonly ImapscopeEvent[],
  droppedBySession: Map<string, number>,
  stats: ArchiveStats,
): boolean {
  if (queued + events.length <= ARCHIVE_MAX_QUEUE_EVENTS) return true;
  for (const e of events) {
    droppedBySession.set(e.session, (droppedBySession.get(e.session) ?? 0) + 1);
  }
  stats.eventsDropped += events.length;
  return false;
}
