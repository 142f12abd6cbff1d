/**
 * What the net layer tells inspection besides bytes: TLS established on a leg, COMPRESS
 * started, and transport notices. Here, below net/ and session/, because both speak it: the
 * relay and the inspection thread's transport follower produce these, and the session
 * tracker turns them into events and lints (session/ imports only wire/ and shared/).
 */
import type { Direction } from './direction.ts';
import type { CompressStartedEvent, EventBase, TlsEstablishedEvent } from './events.ts';

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
