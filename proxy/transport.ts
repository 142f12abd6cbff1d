/**
 * The types the net layer and inspection agree on: chunks as they crossed the relay and the
 * transport events between them. They live here, below both, so that net/ never imports
 * session/ and session/ never imports net/ (see the layering rule in eslint.config.js).
 */
import type { Direction } from '../shared/direction.ts';
import type { CompressStartedEvent, EventBase, TlsEstablishedEvent } from '../shared/events.ts';

/** One chunk as it crossed the relay: its direction, its bytes, and when (ms since the epoch). */
export interface TapChunk {
  direction: Direction;
  data: Buffer;
  at: number;
}

/** Stable codes of transport notices; the session layer maps each to a lint. */
export type TransportNoticeCode =
  /** Plaintext arrived after STARTTLS and before the handshake; it was dropped, never passed on. */
  | 'STARTTLS_INJECTION'
  /** STARTTLS succeeded end to end without imapscope in it (--client-tls none): bytes from here are ciphertext. */
  | 'STARTTLS_PASSTHROUGH'
  /** The upstream refused imapscope's own STARTTLS (--upstream-tls starttls). */
  | 'STARTTLS_REFUSED'
  /** A compressed direction did not inflate (or a gap broke it): inspection of the session stops. */
  | 'COMPRESS_CORRUPT'
  /** The upstream accepted the connection but sent no greeting within NO_GREETING_HINT_MS. */
  | 'NO_GREETING';

/** Something about the transport that is worth an event or a lint, but is not IMAP bytes. */
export interface TransportNotice {
  type: 'transport.notice';
  code: TransportNoticeCode;
  direction: Direction | null;
  /** One line for the log and the learner. */
  message: string;
  /** Bytes concerned (dropped injection bytes, say); 0 when none. */
  bytes: number;
  at: number;
}

/** What the net layer tells the inspector besides bytes, in stream order with the chunks. */
export type TransportEvent =
  | (Omit<TlsEstablishedEvent, keyof EventBase> & { at: number })
  | (Omit<CompressStartedEvent, keyof EventBase> & { at: number })
  | TransportNotice;

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
