/**
 * The relay thread's side of the inspection thread (thread.ts): starts the worker, and gives
 * each session a SessionInspector that packs tap batches and posts them, with their
 * buffers transferred. Posting never waits: messages wait in an outbox that is posted as one
 * message every INSPECTION_POST_INTERVAL_MS (or once INSPECTION_POST_BYTES of tap bytes are
 * in it), so a busy relay wakes the inspection thread a few hundred times a second, not once
 * per socket read. What the worker has not yet consumed is counted; past
 * MAX_INSPECTION_BACKLOG_BYTES batches are dropped (the session gets a gap event) instead of
 * queueing without bound.
 */
import { Worker } from 'node:worker_threads';
import type { Direction } from '../../shared/direction.ts';
import type { HostPort } from '../config.ts';
import {
  INSPECTION_POST_BYTES,
  INSPECTION_POST_INTERVAL_MS,
  MAX_INSPECTION_BACKLOG_BYTES,
} from '../limits.ts';
import type { SessionInfo, SessionSummary } from '../net/relay.ts';
import type { SessionInspector, TapChunk } from '../transport.ts';
import type {
  FromInspection,
  InspectionConfig,
  PackedBatch,
  ToInspection,
} from './thread-protocol.ts';

/**
 * Packs a batch for posting. A chunk the relay is done with (`owned`) that is the whole of
 * its ArrayBuffer (socket reads are) is transferred as it is: no copy. Anything else (bytes
 * still being written, slices of a shared buffer, a buffer `taken` already for this post) is
 * copied into a buffer of its own.
 */
function pack(batch: readonly TapChunk[], taken: Set<ArrayBufferLike>): PackedBatch {
  const buffers: ArrayBuffer[] = [];
  const directions: Direction[] = [];
  const ats: number[] = [];
  let bytes = 0;
  for (const c of batch) {
    const d = c.data;
    const whole =
      c.owned === true &&
      d.byteOffset === 0 &&
      d.byteLength === d.buffer.byteLength &&
      d.buffer instanceof ArrayBuffer &&
      !taken.has(d.buffer);
    let ab: ArrayBuffer;
    if (whole) {
      ab = d.buffer as ArrayBuffer;
    } else {
      const copy = Buffer.allocUnsafeSlow(d.length);
      d.copy(copy);
      ab = copy.buffer as ArrayBuffer;
    }
    taken.add(ab);
    buffers.push(ab);
    directions.push(c.direction);
    ats.push(c.at);
    bytes += d.length;
  }
  return { buffers, directions, ats, bytes };
}

export class InspectionThread {
  /** Bytes posted to the worker that it has not reported consumed. */
  private backlog = 0;
  private stopped: Promise<void> | null = null;
  /** Messages not yet posted, their buffers to transfer, and the tap bytes among them. */
  private outbox: ToInspection[] = [];
  private outboxTransfer: ArrayBuffer[] = [];
  /** Buffers already in outboxTransfer: one listed twice would make postMessage throw. */
  private outboxTaken = new Set<ArrayBufferLike>();
  private outboxBytes = 0;
  private flushTimer: NodeJS.Timeout | null = null;

  private constructor(
    private readonly worker: Worker,
    readonly ui: HostPort,
    private readonly backlogCap: number,
  ) {
    worker.on('message', (m: FromInspection) => {
      if (m.type === 'consumed') this.backlog = Math.max(0, this.backlog - m.bytes);
    });
  }

  /** Starts the worker; resolves once its UI server listens, rejects with its one-line reason. */
  static start(
    config: InspectionConfig,
    backlogCap = MAX_INSPECTION_BACKLOG_BYTES,
  ): Promise<InspectionThread> {
    // thread-entry.mjs loads tsx in the worker, which then runs thread.ts as it is.
    const worker = new Worker(new URL('./thread-entry.mjs', import.meta.url), {
      workerData: config,
    });
    return new Promise((resolve, reject) => {
      const onMessage = (m: FromInspection): void => {
        if (m.type === 'ready') {
          worker.off('message', onMessage);
          worker.off('error', reject);
          resolve(new InspectionThread(worker, m.ui, backlogCap));
        } else if (m.type === 'failed') {
          void worker.terminate();
          reject(new Error(m.message));
        }
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
    });
  }

  private post(m: ToInspection, transfer?: ArrayBuffer[], bytes = 0): void {
    this.outbox.push(m);
    if (transfer) for (const ab of transfer) this.outboxTransfer.push(ab);
    this.outboxBytes += bytes;
    if (this.outboxBytes >= INSPECTION_POST_BYTES) this.flush();
    else this.flushTimer ??= setTimeout(this.flush, INSPECTION_POST_INTERVAL_MS);
  }

  /** Posts the outbox as one message. */
  private readonly flush = (): void => {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    if (this.outbox.length === 0) return;
    const messages = this.outbox;
    const transfer = this.outboxTransfer;
    this.outbox = [];
    this.outboxTransfer = [];
    this.outboxTaken = new Set();
    this.outboxBytes = 0;
    const m: ToInspection = messages.length === 1 ? messages[0]! : { type: 'batch', messages };
    this.worker.postMessage(m, transfer);
  };

  /** The inspector the relay hands a session's tap batches to. */
  inspector(info: SessionInfo): SessionInspector {
    const session = info.id;
    this.post({ type: 'open', info });
    return {
      chunks: (batch) => {
        if (this.backlog > this.backlogCap) {
          // Inspection is behind by more than the cap: drop, and say so in the event stream.
          const dropped: Record<Direction, [number, number]> = { c2s: [0, 0], s2c: [0, 0] };
          for (const c of batch) {
            dropped[c.direction][0] += 1;
            dropped[c.direction][1] += c.data.length;
          }
          for (const direction of ['c2s', 's2c'] as const) {
            const [chunks, bytes] = dropped[direction];
            if (chunks > 0)
              this.post({
                type: 'gap',
                session,
                direction,
                droppedChunks: chunks,
                droppedBytes: bytes,
              });
          }
          return;
        }
        const packed = pack(batch, this.outboxTaken);
        this.backlog += packed.bytes;
        this.post({ type: 'chunks', session, batch: packed }, packed.buffers, packed.bytes);
      },
      gap: (direction, droppedChunks, droppedBytes) =>
        this.post({ type: 'gap', session, direction, droppedChunks, droppedBytes }),
      transport: (event) => this.post({ type: 'transport', session, event }),
      close: () => this.post({ type: 'end', session }),
    };
  }

  /** Tells the API where mail clients connect (shown in the viewer's empty state). */
  listening(listen: string): void {
    this.post({ type: 'listening', listen });
  }

  /** The relay's summary of a closed session (bytes, reason): session.close is published from it. */
  closed(summary: SessionSummary): void {
    this.post({ type: 'closed', summary });
  }

  /** Flushes the archive, closes the UI server and ends the worker. */
  stop(): Promise<void> {
    this.stopped ??= new Promise<void>((resolve) => {
      const timer = setTimeout(() => void this.worker.terminate().then(() => resolve()), 5000);
      this.worker.on('message', (m: FromInspection) => {
        if (m.type === 'stopped') {
          clearTimeout(timer);
          void this.worker.terminate().then(() => resolve());
        }
      });
      this.post({ type: 'shutdown' });
      this.flush();
    });
    return this.stopped;
  }
}
