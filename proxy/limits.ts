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

/**
 * Commands one session may have in flight (sent, not yet completed) that the tracker pairs.
 * Past it the tracker records one lint and leaves the excess unpaired, so a client pipelining
 * without end cannot make pairing work grow with it; the relay forwards every byte regardless.
 */
export const MAX_IN_FLIGHT_COMMANDS = 1_000;

/** Untagged response seqs listed on one exchange event; past it they are only counted (a FETCH 1:* of a big mailbox). */
export const MAX_EXCHANGE_UNTAGGED_SEQS = 1000;

// --- hub: archive, WebSocket, API (issue 6) ---

/** The archive writes its queue at least this often (a SIGKILL loses at most about this much). */
export const ARCHIVE_FLUSH_MS = 250;

/** Queued events that make the archive write at once (next tick) instead of waiting for the timer. */
export const ARCHIVE_FLUSH_EVENTS = 4_000;

/** Events queued for the archive before further events are dropped and counted. */
export const ARCHIVE_MAX_QUEUE_EVENTS = 200_000;

/** Spans of raw chunks (written to their segment file, row not yet committed) queued for the archive before further chunks are dropped and counted. */
export const ARCHIVE_MAX_QUEUE_SPANS = 200_000;

/**
 * The raw archive writes segments in writes of up to this many bytes (archive/raw-files.ts):
 * bytes are copied into a slot of this size in the writer thread's memory, sent when it fills
 * or at the archive's flush. Direct writes wait for the disk, and a quarter of this size cost
 * twice the kernel time per MB.
 */
export const RAW_DIRECT_WRITE_BYTES = 1024 * 1024;

/**
 * Slots of RAW_DIRECT_WRITE_BYTES the raw archive's writer thread works through
 * (archive/raw-writer.ts): up to this many writes are queued before the inspection thread
 * waits for the disk.
 */
export const RAW_WRITE_SLOTS = 4;

/** A raw archive write that makes no progress for this long counts as failed (a hung disk). */
export const RAW_WRITE_STALL_MS = 60_000;

/** Size past which the archive starts a new raw segment file (see archive/raw-files.ts). */
export const RAW_SEGMENT_BYTES = 64 * 1024 * 1024;

/** A closed raw segment with less than this share of its bytes still referenced is compacted. */
export const RAW_COMPACT_LIVE_RATIO = 0.5;

/** How often retention (--retain-days, --max-archive-mb) runs. */
export const ARCHIVE_RETENTION_INTERVAL_MS = 60_000;

/**
 * Events the backfill (archive/backfill.ts) derives per batch: one transaction, which on SQLite
 * holds the inspection thread (and the archive's flushes) for its duration. At 500, 18 ms of
 * CPU on average (47 at most) over 115,000 generated events, 36 µs each; 1,000 saved 6% of
 * the CPU and held the thread twice as long.
 */
export const BACKFILL_BATCH_EVENTS = 500;

/** How often a running backfill logs its progress. */
export const BACKFILL_PROGRESS_MS = 10_000;

/**
 * Client bytes of a message that may carry a credential (LOGIN, AUTHENTICATE, a SASL line),
 * held back from the archive until it is decoded and masked. Past this, they are let through
 * masked whole, and so is the rest of that message (session/raw-masker.ts).
 */
export const RAW_REDACT_HOLD_BYTES = 256 * 1024;

/** WebSocket viewers connected at once; more are refused with 503. */
export const WS_MAX_CLIENTS = 64;

/**
 * Bytes ws may hold for one viewer (written, not yet taken by the socket). A viewer is sent
 * the next frame only while it fits; a stalled viewer costs no more than this.
 */
export const WS_CLIENT_MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/**
 * Largest WebSocket message the sink sends (UTF-8 bytes; exactly at the cap is sent). Batches
 * are cut into messages of at most this; one event too big for it alone becomes a `gap`
 * (reason `too-large`) that the viewer fetches over REST.
 */
export const WS_MAX_FRAME_BYTES = 1024 * 1024;

/**
 * Recent events kept in memory, by the size of their JSON (characters, about bytes): what
 * viewers are sent from and resume within (older resume points read the archive). Sized in
 * bytes, not events: 20,000 events were a fraction of a second of the 200-session workload,
 * so a healthy viewer a little behind was gapped, while 20,000 large events held far more.
 */
export const WS_REPLAY_BYTES = 16 * 1024 * 1024;

/** Events a resume or a snapshot sends at most; past it the viewer gets a gap and pages over REST. */
export const WS_SNAPSHOT_EVENTS = 5_000;

/** Largest page of events or sessions one API request returns. */
export const API_PAGE_MAX = 5_000;

/**
 * How long `GET /api/sessions?filter=` searches the archive for matching sessions (ms, on the
 * inspection thread, yielding between pages). Past it the page holds what was found, and the
 * total says it is a lower bound and how many sessions were searched (X-Total-Exact: false).
 */
export const FILTER_SCAN_BUDGET_MS = 2_000;

/**
 * `--inspection best-effort`: tap bytes queued for or posted to the inspection thread and not
 * yet inspected (inspection/outbox.ts); past this, chunks are dropped and a gap event says so
 * (at it, a chunk is still taken).
 */
export const MAX_INSPECTION_BACKLOG_BYTES = 64 * 1024 * 1024;

/**
 * `--inspection lossless` (the default): tap bytes handed to inspection and not yet inspected,
 * over all sessions, past which every session that feeds more is paused (both legs stop
 * reading) until the backlog is back under INSPECTION_RESUME_BYTES. Below it nothing waits.
 */
export const INSPECTION_PAUSE_BYTES = 32 * 1024 * 1024;
export const INSPECTION_RESUME_BYTES = 16 * 1024 * 1024;

/**
 * ...and one session's share: past this, that session alone pauses until its own backlog is
 * under INSPECTION_SESSION_RESUME_BYTES, so one bulk transfer cannot fill the whole backlog and
 * make every interactive session wait behind it.
 */
export const INSPECTION_SESSION_PAUSE_BYTES = 8 * 1024 * 1024;
export const INSPECTION_SESSION_RESUME_BYTES = 2 * 1024 * 1024;

/** Delay before starting a new inspection thread after one died (doubling per failed start, up to 30 s). */
export const INSPECTION_RESTART_DELAY_MS = 200;

/** The inspection thread says it is alive this often (ms), whatever it is doing. */
export const INSPECTION_HEARTBEAT_MS = 1_000;

/**
 * An inspection thread silent this long (ms: no heartbeat, no report) is taken for stuck (an
 * endless loop, not a crash) and restarted like a dead one. Far above its longest legitimate
 * pause: a retention pass deleting sessions of a 1 GB archive took 8 s.
 */
export const INSPECTION_WATCHDOG_MS = 30_000;

/**
 * The relay thread gathers what it posts to the inspection thread and posts it together at
 * most this often (ms): one wake-up of the inspection thread per interval instead of one per
 * socket read. Events reach the viewer up to this much later; their timestamps are the
 * relay's, so latencies are unaffected.
 */
export const INSPECTION_POST_INTERVAL_MS = 5;

/** ...or sooner (right after the read that reached it), once this many tap bytes wait. */
export const INSPECTION_POST_BYTES = 1024 * 1024;

/**
 * Sizes of the slabs the relay thread copies tap bytes into for posting (inspection/slabs.ts),
 * smallest first: a post of a few lines takes a small one, a bulk transfer's post one large one.
 * The largest holds a full post: INSPECTION_POST_BYTES less one byte, plus the socket read
 * (at most 64 KiB) that took it past the threshold.
 */
export const INSPECTION_SLAB_SIZES = [
  16 * 1024,
  64 * 1024,
  256 * 1024,
  INSPECTION_POST_BYTES + 64 * 1024,
] as const;

/** Slab bytes the relay thread keeps for reuse once the inspection thread gave them back. */
export const INSPECTION_SLAB_POOL_BYTES = 16 * 1024 * 1024;

/** Audit trail (session/audit.ts): commands and untagged responses waiting for their exchange. */
export const AUDIT_MAX_PENDING = 4096;
/** Audit trail: message links kept per session (UID → Message-ID/Subject, seq → UID). */
export const AUDIT_MAX_LINKS = 50_000;
/** Audit trail: an EXPUNGE renumbers at most this many known sequence numbers, else forgets them. */
export const AUDIT_MAX_RENUMBER = 2048;
// --- process lifecycle and logging (issue 11) ---

/** Client connections relayed at once (the default of --max-connections); one more gets a BYE. */
export const DEFAULT_MAX_CONNECTIONS = 1_000;

/**
 * Seconds without a byte in either direction before a session is closed (--idle-timeout's
 * default). RFC 9051 §5.4: a server's autologout timer is at least 30 minutes, IDLE included,
 * so a proxy must not cut sooner: 31 minutes.
 */
export const DEFAULT_IDLE_TIMEOUT_S = 1_860;

/** Seconds a shutdown waits for sessions to end after their BYE (--drain-seconds's default). */
export const DEFAULT_DRAIN_S = 5;

/** TCP keepalive on both legs: the first probe after this long without traffic. */
export const KEEPALIVE_MS = 60_000;

/** Log bytes queued while stdout is not read; lines past it are dropped and counted. */
export const LOG_BUFFER_BYTES = 1024 * 1024;

/** How often a stalled log destination is tried again. */
export const LOG_RETRY_MS = 50;

/** Repeated warnings (refused connections, failed accepts, archive writes) at most this often. */
export const WARN_INTERVAL_MS = 30_000;

/** An upstream silent this long after connecting gets a hint: is it an implicit-TLS port? */
export const NO_GREETING_HINT_MS = 5_000;

/**
 * How often an instance on a shared PostgreSQL archive asks it for other instances' new events
 * (archive/pg-feed.ts). Their events reach the database at their own ARCHIVE_FLUSH_MS, so a
 * viewer sees another instance's traffic at most about the sum of both later.
 */
export const PG_FEED_POLL_MS = 250;

/** Events fetched per instance per poll of the shared archive. */
export const PG_FEED_PAGE = 2_000;

// --- PROXY protocol (issue 15) ---

/**
 * The largest PROXY header accepted from the load balancer, v2 TLVs included. v1 is at most
 * 107 bytes by its spec; v2 may announce up to 16 + 65535, but HAProxy's own headers (addresses,
 * ALPN, authority, unique id, SSL facts) stay far below 4 KiB: a longer one is refused.
 */
export const PROXY_HEADER_MAX_BYTES = 4096;

/** A connection from a trusted address that has not sent its whole PROXY header by then is refused. */
export const PROXY_HEADER_TIMEOUT_MS = 5_000;

/**
 * How often the relay thread tells the inspection thread its inspection backlog and restart
 * count for /metrics (the two figures only it knows); a scrape sees them at most this old.
 */
export const METRICS_PUSH_MS = 1_000;
