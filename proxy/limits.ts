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
