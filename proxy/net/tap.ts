import type { Direction } from '../../shared/direction.ts';
import { MAX_TAP_QUEUE_CHUNKS } from '../limits.ts';

/** One chunk as it crossed the relay: its direction, its bytes, and when (ms since the epoch). */
export interface TapChunk {
  direction: Direction;
  data: Buffer;
  at: number;
}

/** What inspects one session's bytes. Called off the forwarding path, in arrival order. */
export interface SessionInspector {
  chunks(batch: readonly TapChunk[]): void;
  /** Chunks were dropped because inspection fell behind; the stream has a hole here. */
  gap(direction: Direction, droppedChunks: number, droppedBytes: number): void;
  close(): void;
}

/**
 * A bounded hand-off between the relay and inspection. `push` is O(1) and never
 * blocks: the relay forwards a chunk, then pushes it here. Inspection runs later
 * in a setImmediate batch. Past MAX_TAP_QUEUE_CHUNKS queued, chunks are dropped
 * and counted, and the inspector hears of the gap before the next chunk it sees.
 */
export class Tap {
  private queue: TapChunk[] = [];
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
    const batch = this.queue;
    this.queue = [];
    this.inspector.chunks(batch);
  };
}
