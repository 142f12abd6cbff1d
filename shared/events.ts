/**
 * The event schema: the product's language. The session tracker produces these,
 * the log, archive, WebSocket and every export carry them, and the viewer draws
 * them. One union discriminated on `type`; consumers switch on it exhaustively
 * (see `assertNever`).
 *
 * Versioned: a change that breaks a reader bumps EVENT_SCHEMA_VERSION.
 */
import type { CloseReason, ImportedReason } from './close-reason.ts';
import type { Direction } from './direction.ts';
import type { Message, ResponseCode } from './messages.ts';

export const EVENT_SCHEMA_VERSION = 1;

/** The IMAP connection states of RFC 3501 / RFC 9051 §3. */
export type ImapState = 'not-authenticated' | 'authenticated' | 'selected' | 'logout';

export const IMAP_STATES: readonly ImapState[] = [
  'not-authenticated',
  'authenticated',
  'selected',
  'logout',
];

/** Fields on every event. */
export interface EventBase {
  /** Schema version. */
  v: typeof EVENT_SCHEMA_VERSION;
  /** Session id (from the relay). */
  session: string;
  /** 1, 2, 3… within the session, with no holes: the order of the session's events. */
  seq: number;
  /** Order across all sessions of this imapscope process; 0 until the hub stamps it. */
  gseq: number;
  /** When it happened, ms since the epoch. */
  at: number;
}

export interface Endpoint {
  host: string;
  port: number;
}

export interface SessionOpenEvent extends EventBase {
  type: 'session.open';
  client: Endpoint;
  upstream: Endpoint;
}

export interface SessionCloseEvent extends EventBase {
  type: 'session.close';
  bytes: Record<Direction, number>;
  durationMs: number;
  /** Why it ended: the relay's reason, or an import's. */
  reason: CloseReason | ImportedReason;
  /** The state the session was in at the end. */
  state: ImapState;
  /** The user that logged in, if any (LOGIN's user or the SASL authorization identity when known). */
  user: string | null;
}

/** One decoded command or response (never a Malformed one: those are `malformed` events). */
export interface MessageEvent extends EventBase {
  type: 'message';
  direction: Direction;
  message: Exclude<Message, { type: 'malformed' }>;
  /** An untagged response no command in flight asked for (EXISTS during IDLE, BYE, ALERT…). */
  unsolicited: boolean;
}

/** Bytes that did not decode; they were forwarded all the same. */
export interface MalformedEvent extends EventBase {
  type: 'malformed';
  direction: Direction;
  message: Extract<Message, { type: 'malformed' }>;
}

/** How an exchange ended. `aborted`: the connection closed before the tagged completion. */
export type ExchangeStatus = 'OK' | 'NO' | 'BAD' | 'aborted';

/** A command with everything that answered it, emitted when its tagged completion arrives. */
export interface ExchangeEvent extends EventBase {
  type: 'exchange';
  tag: string;
  /** Command name as decoded (FETCH for UID FETCH; see `uid`). */
  command: string;
  uid: boolean;
  /** seq of the command's `message` event. */
  commandSeq: number;
  /** seqs of the continuation requests (`+ …`) sent for this command. */
  continuationSeqs: number[];
  /** seqs of the untagged responses received while this command was in flight (the first MAX_EXCHANGE_UNTAGGED_SEQS). */
  untaggedSeqs: number[];
  /** How many untagged responses arrived while it was in flight (may exceed untaggedSeqs.length). */
  untaggedCount: number;
  /** seq of the tagged completion; null when aborted. */
  completionSeq: number | null;
  status: ExchangeStatus;
  code: ResponseCode | null;
  text: string;
  /** ms from the command's last byte to the completion's first byte; null when aborted. */
  latencyMs: number | null;
}

export interface StateChangeEvent extends EventBase {
  type: 'state.change';
  from: ImapState;
  to: ImapState;
  /** The selected mailbox (decoded name) in the new state, else null. */
  mailbox: string | null;
  readOnly: boolean | null;
  /** What caused it: the command's tag and name, or a response (greeting PREAUTH, BYE). */
  cause: { tag: string | null; command: string | null; seq: number; text: string };
}

export type LintSeverity = 'info' | 'warning' | 'error';

/** Every lint code; stable: the viewer, archives and users' filters rely on them. */
export const LINT_CODES = [
  'LINT_COMMAND_INVALID_STATE',
  'LINT_UNKNOWN_COMMAND',
  'LINT_TAG_REUSED',
  'LINT_COMPLETION_BAD',
  'LINT_COMPLETION_NO',
  'LINT_CLEARTEXT_LOGIN',
  'LINT_LOGIN_DISABLED',
  'LINT_LITERAL_NOT_SYNCHRONIZED',
  'LINT_NONSYNC_LITERAL_UNSUPPORTED',
  'LINT_LITERAL_MINUS_TOO_LARGE',
  'LINT_BARE_LF',
  'LINT_EXPUNGE_NOT_ALLOWED',
  'LINT_TOO_MANY_IN_FLIGHT',
  'LINT_UNKNOWN_TAG',
  'LINT_STARTTLS_INJECTION',
  'LINT_STARTTLS_PASSTHROUGH',
  'LINT_STARTTLS_REFUSED',
  'LINT_COMPRESS_CORRUPT',
  'LINT_NO_GREETING',
  'LINT_UPSTREAM_CLOSED',
] as const;

export type LintCode = (typeof LINT_CODES)[number];

/** A protocol mistake or notable event, explained for a learner. */
export interface LintEvent extends EventBase {
  type: 'lint';
  severity: LintSeverity;
  /** Stable code, one of LINT_CODES. */
  code: LintCode;
  /** One line. */
  title: string;
  /** One paragraph for a learner: what happened, why it matters, what to send instead. */
  explanation: string;
  /** e.g. "RFC 3501 §6.4.5 / RFC 9051 §6.4.5" */
  rfc: string;
  /** seq of the message it is about, if any. */
  relatedSeq: number | null;
}

/** Inspection lost bytes (it fell behind and its bounded queue overflowed); the relay did not. */
export interface GapEvent extends EventBase {
  type: 'gap';
  direction: Direction;
  droppedChunks: number;
  droppedBytes: number;
}

/**
 * What the tracker knows about the session besides its state, sent whenever some of it changes
 * (at most once per batch of chunks): capabilities, the selected mailbox's counters, modes.
 */
export interface SessionFacts {
  state: ImapState;
  /** Current capabilities (upper-cased); empty when unknown (after STARTTLS or login, until re-announced). */
  capabilities: string[];
  /** Extensions switched on by ENABLE. */
  enabled: string[];
  /** Decoded name of the selected mailbox, else null. */
  mailbox: string | null;
  readOnly: boolean | null;
  uidValidity: number | null;
  exists: number | null;
  /** An IDLE is in progress (the server sent its `+`, DONE not yet answered). */
  idle: boolean;
  /** The client leg is encrypted (implicit TLS or after STARTTLS). */
  tls: boolean;
  /** COMPRESS=DEFLATE is active. */
  compressed: boolean;
  /** The user that logged in, when known. */
  user: string | null;
}

export interface SessionFactsEvent extends EventBase, SessionFacts {
  type: 'session.facts';
}

/** A certificate as shown to a learner or an auditor. */
export interface TlsCertificateSummary {
  /** e.g. "CN=imap.example.com" */
  subject: string;
  issuer: string;
  /** DNS and IP names, e.g. "DNS:localhost, IP Address:127.0.0.1"; null when absent. */
  subjectAltName: string | null;
  /** SHA-256 of the DER certificate, colon-separated upper-case hex. */
  fingerprint256: string;
  /** As OpenSSL prints them, e.g. "Nov 26 12:00:00 2025 GMT". */
  validFrom: string;
  validTo: string;
}

/** TLS is up on one leg: from the first byte (implicit) or after STARTTLS. */
export interface TlsEstablishedEvent extends EventBase {
  type: 'tls.established';
  /** client: between the mail client and imapscope; upstream: between imapscope and the server. */
  leg: 'client' | 'upstream';
  via: 'implicit' | 'starttls';
  /** e.g. "TLSv1.3" */
  protocol: string | null;
  /** e.g. "TLS_AES_256_GCM_SHA384" */
  cipher: string | null;
  /** The server name sent (upstream leg) or received (client leg); null when none. */
  sni: string | null;
  alpn: string | null;
  /** Upstream leg: whether the server's certificate verified; client leg: null. */
  authorized: boolean | null;
  /** Why verification failed (with --upstream-insecure the session goes on anyway). */
  authorizationError: string | null;
  /** The certificate the TLS server side presented: the upstream's, or imapscope's leaf to the client. */
  certificate: TlsCertificateSummary | null;
}

/** COMPRESS=DEFLATE (RFC 4978) took effect: both directions are deflate streams from here. */
export interface CompressStartedEvent extends EventBase {
  type: 'compress.started';
  algorithm: 'DEFLATE';
  /** Tag of the COMPRESS command. */
  tag: string;
}

export type ImapscopeEvent =
  | SessionOpenEvent
  | SessionCloseEvent
  | SessionFactsEvent
  | MessageEvent
  | MalformedEvent
  | ExchangeEvent
  | StateChangeEvent
  | LintEvent
  | GapEvent
  | TlsEstablishedEvent
  | CompressStartedEvent;

export type EventType = ImapscopeEvent['type'];

/** Distributes Omit over the union, so an event can be built without its base fields. */
export type EventBody<E extends ImapscopeEvent = ImapscopeEvent> = E extends ImapscopeEvent
  ? Omit<E, keyof EventBase>
  : never;

/** For exhaustive switches: a new event type fails to compile until it is handled. */
export function assertNever(x: never): never {
  throw new Error(`unhandled: ${JSON.stringify(x)}`);
}
