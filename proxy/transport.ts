/**
 * The types the net layer and inspection agree on: chunks as they crossed the relay and the
 * transport events between them. They live here, below both, so that net/ never imports
 * session/ and session/ never imports net/ (see the layering rule in eslint.config.js). The
 * transport events themselves are in shared/transport-events.ts, where session/ (which
 * imports only wire/ and shared/) reads them too.
 */
import type { Direction } from '../shared/direction.ts';
import type { TransportEvent } from '../shared/transport-events.ts';

export type {
  TransportEvent,
  TransportNotice,
  TransportNoticeCode,
} from '../shared/transport-events.ts';

/** One chunk as it crossed the relay: its direction, its bytes, and when (ms since the epoch). */
export interface TapChunk {
  direction: Direction;
  data: Buffer;
  at: number;
}

/**
 * What inspects one session's bytes. The relay calls it on its own thread, right after
 * forwarding each chunk, in arrival order and with nothing queued in between: an inspector
 * there must only queue (the inspection thread client's outbox, inspection/outbox.ts, is the
 * one queue toward inspection), never inspect or block.
 */
export interface SessionInspector {
  /**
   * The bytes of each leg, in arrival order, decrypted when a leg is TLS. From the relay they
   * come one chunk per call, as they crossed (still compressed after COMPRESS=DEFLATE); the
   * inspection thread's TransportFollower (inspection/transport-follower.ts) hands its
   * pipeline inflated bytes, and never anything after STARTTLS_PASSTHROUGH or COMPRESS_CORRUPT.
   */
  chunks(batch: readonly TapChunk[]): void;
  /**
   * Chunks were dropped because inspection fell behind (or its thread died); the stream has a
   * hole here. `at`: when the first lost chunk crossed the relay (default: now).
   */
  gap(direction: Direction, droppedChunks: number, droppedBytes: number, at?: number): void;
  /**
   * True when this inspector never drops: it pauses the relay instead (see InspectionFlow).
   * For the inspector's owner and tests; the relay queues nothing, so it needs no telling.
   */
  readonly lossless?: boolean;
  /**
   * A transport change (TLS established on a leg, COMPRESS started) or notice, delivered
   * between the chunks it falls between. Optional: inspectors without it ignore these.
   */
  transport?(event: TransportEvent): void;
  close(): void;
}

/**
 * How inspection slows a session down instead of losing its bytes (`--inspection lossless`):
 * the relay hands one to the inspector factory; `pause` stops reading from both legs,
 * `resume` starts again (a leg whose peer's write buffer is full stays paused until 'drain').
 * Both are idempotent.
 */
export interface InspectionFlow {
  pause(): void;
  resume(): void;
}

/**
 * What the relay tells a session's inspector at open, for following the transport itself:
 * whether imapscope terminates the client's STARTTLS (`--client-tls starttls`), in which case
 * the bytes after a successful STARTTLS are the plaintext inside TLS; otherwise they are
 * ciphertext passed through end to end.
 */
export interface SessionTransport {
  interceptsStarttls: boolean;
}
