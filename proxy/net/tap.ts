import type { Direction } from '../../shared/direction.ts';
import { MAX_TAP_QUEUE_CHUNKS } from '../limits.ts';
import type { SessionInspector, TapChunk, TransportEvent } from '../transport.ts';

export type {
  SessionInspector,
  TapChunk,
  TransportEvent,
  TransportNotice,
  TransportNoticeCode,
} from '../transport.ts';

/**
 * A bounded hand-off between the relay and inspection. `push` is O(1) and never
 * blocks: the relay forwards a chunk, then pushes it here. Inspection runs later
 * in a setImmediate batch. Past MAX_TAP_QUEUE_CHUNKS queued, chunks are dropped
 * and counted, and the inspector hears of the gap before the next chunk it sees. A lossless
 * inspector gets a tap without that cap (capacity Infinity): it pauses the relay instead.
 */
export class Tap {
  private queue: (TapChunk | TransportEvent)[] = [];
  private scheduled = false;
  private closed = false;
  private dropped: Record<Direction, { chunks: number; bytes: number }> = {
    c2s: { chunks: 0, bytes: 0 },
    s2c: { chunks: 0, bytes: 0 },
  };
  /** Total chunks dropped over the session's life. */
  droppedTotal = 0;

  constructor(
    private readonly inspector: SessionInspector,
    private readonly capacity = MAX_TAP_QUEUE_CHUNKS,
  ) {}

  /** Queues a chunk (dropped and counted past the capacity; ignored once closed). */
  push(direction: Direction, data: Buffer): void {
    if (this.closed) return;
    if (this.queue.length >= this.capacity) {
      const d = this.dropped[direction];
      d.chunks += 1;
      d.bytes += data.length;
      this.droppedTotal += 1;
      return;
    }
    this.flushGap(direction);
    this.queue.push({ direction, data, at: Date.now() });
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.drain);
    }
  }

  /**
   * Queues a transport event behind the chunks pushed so far. Never dropped (there are few
   * of them, a handful per session), so the inspector always learns of TLS and COMPRESS.
   */
  transport(event: TransportEvent): void {
    if (this.closed) return;
    this.queue.push(event);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.drain);
    }
  }

  /** Inspects what is still queued, then closes the inspector. */
  close(): void {
    if (this.closed) return;
    this.drain();
    this.closed = true;
    this.inspector.close();
  }

  private flushGap(direction: Direction): void {
    const d = this.dropped[direction];
    if (d.chunks === 0) return;
    // The gap must reach the inspector in stream order: drain what came before it first.
    this.drain();
    this.inspector.gap(direction, d.chunks, d.bytes);
    d.chunks = 0;
    d.bytes = 0;
  }

  private readonly drain = (): void => {
    this.scheduled = false;
    if (this.queue.length === 0 || this.closed) return;
    const items = this.queue;
    this.queue = [];
    let batch: TapChunk[] = [];
    for (const item of items) {
      if (!('type' in item)) {
        batch.push(item);
        continue;
      }
      if (batch.length > 0) this.inspector.chunks(batch);
      batch = [];
      this.inspector.transport?.(item);
    }
    if (batch.length > 0) this.inspector.chunks(batch);
  };
}
