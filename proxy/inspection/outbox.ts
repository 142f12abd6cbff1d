/**
 * The relay thread's one queue toward the inspection thread (issue 12: one queue, one
 * direction of flow). The relay hands each chunk here right after forwarding it; the outbox
 * keeps chunks, gaps, transport events and the other messages of every session in one FIFO,
 * and posts it as one message every INSPECTION_POST_INTERVAL_MS (or right after the read
 * that brings it to INSPECTION_POST_BYTES), so the inspection thread wakes a few hundred
 * times a second, not once per socket read.
 *
 * One per process, not per session: there is one inspection thread to post to, the batching
 * is what keeps its wake-ups down (per session it would multiply them by the sessions open),
 * and the process-wide bound (INSPECTION_PAUSE_BYTES) needs a process-wide count anyway.
 * Each session's share is counted in it too (backlog.ts).
 *
 * It also decides what happens when inspection falls behind, counting the bytes queued or
 * posted and not yet reported inspected (backlog.ts):
 * - a lossless session (opened with a flow) is paused past the bounds and resumed once
 *   inspection has caught up; it never loses a chunk while a worker runs;
 * - a best-effort session (opened without a flow) loses the chunks that arrive while the
 *   backlog is past `cap`; the loss is counted per direction and queued as a `gap` message
 *   before the session's next chunk that does get through (or its `end`).
 * Nothing but chunks is ever dropped while a worker runs: transport events (TLS, COMPRESS,
 * notices) and the rest stay in order between the chunks. So the bytes queued or in flight
 * stay under the best-effort cap, or the lossless bounds, plus one read per open session
 * (the read that crosses a bound is queued, then its session pauses).
 *
 * While no worker runs (detached), chunks are counted lost and other messages are discarded:
 * the thread client (thread-client.ts) replays what a new worker must know, then calls
 * reportLost. Sans-I/O apart from the flush timer, which can be handed in.
 */
import type { Direction } from '../../shared/direction.ts';
import {
  INSPECTION_POST_BYTES,
  INSPECTION_POST_INTERVAL_MS,
  MAX_INSPECTION_BACKLOG_BYTES,
} from '../limits.ts';
import type { InspectionFlow, TapChunk } from '../transport.ts';
import { DEFAULT_BACKLOG_BOUNDS, InspectionBacklog, type BacklogBounds } from './backlog.ts';
import { SlabPacker } from './slabs.ts';
import type { ConsumedBytes, ToInspection } from './thread-protocol.ts';

/** Posts one message with the buffers to transfer (a worker's postMessage). */
export type Poster = (message: ToInspection, transfer: ArrayBuffer[]) => void;

/**
 * When to post: `set`/`clear` for the interval (setTimeout), `soon` for a full outbox
 * (process.nextTick: once the current I/O callback is done, see InspectionOutbox.chunk).
 * Tests hand in one they fire themselves.
 */
export interface OutboxTimer {
  set(fire: () => void, ms: number): unknown;
  clear(handle: unknown): void;
  soon(fire: () => void): void;
}

export interface OutboxOptions {
  /** Lossless sessions: where they pause and resume (DEFAULT_BACKLOG_BOUNDS). */
  bounds?: BacklogBounds;
  /** Best-effort sessions: backlog past which chunks are dropped (MAX_INSPECTION_BACKLOG_BYTES). */
  cap?: number;
  /** Tap bytes queued at which the outbox is posted soon, not at the interval (INSPECTION_POST_BYTES). */
  postBytes?: number;
  /** Longest a queued message waits to be posted, ms (INSPECTION_POST_INTERVAL_MS). */
  intervalMs?: number;
  timer?: OutboxTimer;
}

/** What one direction of a session lost: chunks and bytes, and when the first crossed the relay. */
interface Lost {
  chunks: number;
  bytes: number;
  at: number;
}

interface OutboxSession {
  id: string;
  /** Opened with a flow: paused, never dropped. */
  lossless: boolean;
  lost: Record<Direction, Lost>;
}

/** One session's chunks queued in a row: posted as one `chunks` message. */
interface Run {
  type: 'run';
  session: string;
  chunks: TapChunk[];
}

const DIRECTIONS: readonly Direction[] = ['c2s', 's2c'];

const realTimer: OutboxTimer = {
  set: (fire, ms) => setTimeout(fire, ms),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
  soon: (fire) => process.nextTick(fire),
};

export class InspectionOutbox {
  /** Bytes queued or posted and not yet reported inspected; pauses lossless sessions. */
  readonly backlog: InspectionBacklog;
  private queue: (ToInspection | Run)[] = [];
  /** Tap bytes in `queue`. */
  private queuedBytes = 0;
  private poster: Poster | null = null;
  private flushTimer: unknown = null;
  /** A post is due as soon as the current callback is done (the outbox is full). */
  private flushSoon = false;
  private readonly sessions = new Map<string, OutboxSession>();
  private readonly cap: number;
  private readonly postBytes: number;
  private readonly intervalMs: number;
  private readonly timer: OutboxTimer;
  /** The memory tap bytes are posted in (copied, transferred, given back: slabs.ts). */
  private readonly slabs = new SlabPacker();

  constructor(opts: OutboxOptions = {}) {
    this.backlog = new InspectionBacklog(opts.bounds ?? DEFAULT_BACKLOG_BOUNDS);
    this.cap = opts.cap ?? MAX_INSPECTION_BACKLOG_BYTES;
    this.postBytes = opts.postBytes ?? INSPECTION_POST_BYTES;
    this.intervalMs = opts.intervalMs ?? INSPECTION_POST_INTERVAL_MS;
    this.timer = opts.timer ?? realTimer;
  }

  /** Whether a worker takes what is posted. */
  get attached(): boolean {
    return this.poster !== null;
  }

  /** Tap bytes queued and posted, not yet reported inspected (all sessions). */
  get backlogBytes(): number {
    return this.backlog.total;
  }

  /** A worker runs: post to it from now on. */
  attach(poster: Poster): void {
    this.poster = poster;
  }

  /**
   * The worker is gone: the queue is discarded, every byte queued or posted and not inspected
   * becomes its session's loss (reported by reportLost once a worker runs again), and every
   * paused session resumes (nothing pauses while no worker runs).
   */
  detach(now = Date.now()): void {
    this.poster = null;
    this.cancelTimer();
    this.queue = [];
    this.queuedBytes = 0;
    for (const [id, bytes] of this.backlog.lose()) {
      const s = this.sessions.get(id);
      if (s) for (const d of DIRECTIONS) this.addLost(s, d, 0, bytes[d], now);
    }
  }

  /**
   * Starts counting a session. `flow`: lossless, paused past the bounds; null: best-effort,
   * its chunks dropped past the cap. Posts nothing: the caller queues the `open` message.
   */
  open(session: string, flow: InspectionFlow | null): void {
    this.sessions.set(session, {
      id: session,
      lossless: flow !== null,
      lost: { c2s: { chunks: 0, bytes: 0, at: 0 }, s2c: { chunks: 0, bytes: 0, at: 0 } },
    });
    this.backlog.open(session, flow);
  }

  /**
   * Queues one chunk of a session behind everything queued before it; returns false when it
   * was counted lost instead: no worker runs, or (best-effort) the backlog is past the cap
   * (a backlog exactly at the cap still takes the chunk). A lossless session whose chunk puts
   * the backlog past a bound is paused before this returns. An unknown session is ignored.
   * Never posts by itself: a full outbox is posted once the caller's I/O callback is done
   * (`soon`), so that one read's hand-offs go out together.
   */
  chunk(session: string, c: TapChunk): boolean {
    const s = this.sessions.get(session);
    if (!s) return false;
    const n = c.data.length;
    if (!this.poster || (!s.lossless && this.backlog.total > this.cap)) {
      this.addLost(s, c.direction, 1, n, c.at);
      return false;
    }
    if (s.lost.c2s.chunks + s.lost.c2s.bytes + s.lost.s2c.chunks + s.lost.s2c.bytes > 0)
      this.queueLost(s);
    const last = this.queue[this.queue.length - 1];
    if (last?.type === 'run' && last.session === session) last.chunks.push(c);
    else this.queue.push({ type: 'run', session, chunks: [c] });
    this.queuedBytes += n;
    this.backlog.add(session, c.direction, n);
    this.scheduleFlush();
    return true;
  }

  /**
   * Counts chunks a session lost before they reached the outbox (`at`: when the first crossed
   * the relay); queued as a gap before the session's next chunk, or by reportLost.
   */
  lose(session: string, direction: Direction, chunks: number, bytes: number, at: number): void {
    const s = this.sessions.get(session);
    if (s) this.addLost(s, direction, chunks, bytes, at);
  }

  /** Queues a session's counted loss now (one gap per direction), if a worker runs. */
  reportLost(session: string): void {
    const s = this.sessions.get(session);
    if (s && this.poster) this.queueLost(s);
  }

  /** Queues a message behind everything queued before it; discarded while no worker runs. */
  send(message: ToInspection): void {
    if (!this.poster) return;
    this.queue.push(message);
    this.scheduleFlush();
  }

  /**
   * Inspection reported bytes done: the backlog shrinks and paused sessions may resume; the
   * slabs that carried them come back for reuse.
   */
  consumed(report: readonly ConsumedBytes[], slabs: readonly ArrayBuffer[] = []): void {
    this.slabs.give(slabs);
    for (const [id, c2s, s2c] of report) this.backlog.consumed(id, c2s, s2c);
    this.backlog.release();
  }

  /** The session closed: it is never paused again (its bytes in flight stay counted). */
  close(session: string): void {
    this.backlog.close(session);
  }

  /** Forgets a closed session's loss record (after its last reportLost). */
  forget(session: string): void {
    this.sessions.delete(session);
  }

  /**
   * Posts everything queued as one message (a `batch` when there are several), each run of a
   * session's chunks copied into slabs (slabs.ts) as one `chunks` message; the slabs are
   * transferred with it. Nothing when empty or detached.
   */
  readonly flush = (): void => {
    this.cancelTimer();
    this.flushSoon = false;
    const post = this.poster;
    if (this.queue.length === 0 || !post) return;
    const items = this.queue;
    this.slabs.expect(this.queuedBytes);
    this.queue = [];
    this.queuedBytes = 0;
    const messages: ToInspection[] = [];
    for (const item of items) {
      if (item.type !== 'run') {
        messages.push(item);
        continue;
      }
      const { perDirection: _, ...batch } = this.slabs.pack(item.chunks);
      messages.push({ type: 'chunks', session: item.session, batch });
    }
    post(messages.length === 1 ? messages[0]! : { type: 'batch', messages }, this.slabs.take());
  };

  private scheduleFlush(): void {
    if (this.queuedBytes < this.postBytes) {
      this.flushTimer ??= this.timer.set(this.flush, this.intervalMs);
    } else if (!this.flushSoon) {
      this.flushSoon = true;
      this.timer.soon(this.flushIfDue);
    }
  }

  private readonly flushIfDue = (): void => {
    if (this.flushSoon) this.flush();
  };

  private cancelTimer(): void {
    if (this.flushTimer === null) return;
    this.timer.clear(this.flushTimer);
    this.flushTimer = null;
  }

  private addLost(s: OutboxSession, d: Direction, chunks: number, bytes: number, at: number): void {
    if (bytes === 0 && chunks === 0) return;
    const l = s.lost[d];
    if (l.bytes === 0 && l.chunks === 0) l.at = at;
    l.chunks += chunks;
    l.bytes += bytes;
  }

  private queueLost(s: OutboxSession): void {
    for (const direction of DIRECTIONS) {
      const l = s.lost[direction];
      if (l.bytes === 0 && l.chunks === 0) continue;
      this.queue.push({
        type: 'gap',
        session: s.id,
        direction,
        droppedChunks: l.chunks,
        droppedBytes: l.bytes,
        at: l.at,
      });
      s.lost[direction] = { chunks: 0, bytes: 0, at: 0 };
    }
    this.scheduleFlush();
  }
}
