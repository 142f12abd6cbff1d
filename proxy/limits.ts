/**
 * Every cap imapscope enforces, defined once (DESIGN.md rule 5).
 * Changing a limit here changes it everywhere; tests import these names.
 */

/** Longest IMAP line (without its CRLF) the framer keeps; longer lines are flagged and skipped. */
export const MAX_LINE_BYTES = 64 * 1024;

/** Bytes of each literal body kept as a preview; the rest is hashed and counted, never stored. */
export const LITERAL_PREVIEW_BYTES = 4 * 1024;

/** Pending TCP connections the listener accepts before the kernel refuses more (listen backlog). */
export const LISTEN_BACKLOG = 4096;

/** Time allowed to connect to the upstream before the client gets a BYE. */
export const UPSTREAM_CONNECT_TIMEOUT_MS = 10_000;

/** Chunks queued for inspection per session before further chunks are dropped and counted. */
export const MAX_TAP_QUEUE_CHUNKS = 1024;

/**
 * Bytes one decoded IMAP message may keep (its lines plus literal previews, 64 bytes counted per
 * part). A command or response past it is framed to its end and reported as Malformed.
 */
export const MAX_MESSAGE_BYTES = 1024 * 1024;

/** Deepest parenthesized nesting the decoder follows (a BODYSTRUCTURE of nested multiparts). */
export const MAX_NESTING_DEPTH = 128;

/** Leaf certificates (one per distinct SNI name) kept in memory by imapscope's CA. */
export const MAX_LEAF_CACHE = 256;

/** Time allowed for a TLS handshake on either leg, and for the upstream STARTTLS prelude. */
export const TLS_HANDSHAKE_TIMEOUT_MS = 15_000;

/**
 * Plaintext bytes held after a STARTTLS command (c2s) or after a COMPRESS command while its
 * answer is pending. Injected bytes are never forwarded; past this cap the session is closed.
 */
export const MAX_TRANSPORT_HOLD_BYTES = 64 * 1024;

/** Most bytes one tapped chunk may inflate to; more is reported as corrupt deflate data. */
export const MAX_INFLATED_CHUNK_BYTES = 64 * 1024 * 1024;
