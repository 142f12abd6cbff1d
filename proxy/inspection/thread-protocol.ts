/**
 * Messages between the relay thread and the inspection thread (see thread.ts). The relay
 * thread only forwards bytes; everything that looks at them runs in the inspection thread.
 */
import type { Direction } from '../../shared/direction.ts';
import type { HostPort } from '../config.ts';
import type { SessionInfo, SessionSummary } from '../net/relay.ts';
import type { TransportEvent } from '../transport.ts';
import type { FollowState } from './transport-follower.ts';
import type { UiTls } from '../ui/ui-tls.ts';

/** What the inspection thread needs to start: the hub's and UI server's part of the config. */
export interface InspectionConfig {
  dataDir: string;
  retainDays: number;
  maxArchiveMb: number;
  /** A postgres:// URL (the shared archive); null: SQLite in dataDir. */
  archiveUrl: string | null;
  /** This instance's name (--instance), recorded with each session. */
  instance: string;
  revealSecrets: boolean;
  /** --literal-hashes: sha256 of every literal body (off: the hashes are null). */
  literalHashes: boolean;
  /** Serve the viewer's console bridge (/console): practice server, or --console. */
  console: boolean;
  ui: HostPort;
  token: string;
  /** HTTPS for the UI (--ui-cert/--ui-key, already read), and more Host names (--ui-host). */
  uiTls: UiTls | null;
  uiHosts: string[];
  logLevel: string;
  prettyLogs: boolean;
  /**
   * Test only (IMAPSCOPE_TEST_SLOW_INSPECTION_MS_PER_MB): the thread sleeps this long per MiB
   * of tap bytes, so tests can make inspection fall behind the relay.
   */
  testSlowMsPerMb?: number;
  /**
   * Test only (IMAPSCOPE_TEST_CRASH_INSPECTION_AFTER_BYTES): the thread throws an uncaught
   * exception once it has inspected this many tap bytes. Never passed to a restarted thread.
   */
  testCrashAfterBytes?: number;
  /** /metrics without the token (--metrics-public; the UI is on loopback). */
  metricsPublic?: boolean;
  /**
   * Test only (IMAPSCOPE_TEST_HOLD_RECOVERY_UNTIL_FILE): archive recovery waits until this
   * file exists, so a test can use the listener while recovery is still running.
   */
  testHoldRecoveryUntil?: string;
  /**
   * Test only (IMAPSCOPE_TEST_SPIN_INSPECTION_AFTER_BYTES): the thread loops forever once it
   * has inspected this many tap bytes (a stuck thread, for the watchdog). Never passed to a
   * restarted thread.
   */
  testSpinAfterBytes?: number;
}

/**
 * A tap batch: each chunk's bytes as a stretch (`offsets`, `lengths`) of a slab (`buffers`; one
 * slab holds many chunks, see slabs.ts), with its direction and time. The slabs are transferred
 * with the post and given back in the `consumed` report that answers it.
 */
export interface PackedBatch {
  buffers: ArrayBuffer[];
  offsets: number[];
  lengths: number[];
  directions: Direction[];
  ats: number[];
  /** Sum of the lengths. */
  bytes: number;
}

/** Tap bytes of one session inspected since the last report, per direction. */
export type ConsumedBytes = [session: string, c2s: number, s2c: number];

export type ToInspection =
  /**
   * `interceptsStarttls`: see SessionTransport. `resume`: the session was open when an earlier
   * inspection thread died; continue its events, in `follow` state if it had reached one.
   */
  | {
      type: 'open';
      info: SessionInfo;
      interceptsStarttls: boolean;
      resume?: boolean;
      follow?: FollowState;
    }
  | { type: 'chunks'; session: string; batch: PackedBatch }
  | {
      type: 'gap';
      session: string;
      direction: Direction;
      droppedChunks: number;
      droppedBytes: number;
      /** When the first lost chunk crossed the relay. */
      at?: number;
    }
  | { type: 'transport'; session: string; event: TransportEvent }
  | { type: 'end'; session: string }
  /** The client listener is up: the API tells the viewer where mail clients connect. */
  | { type: 'listening'; listen: string }
  /** Shutdown began: the listener is closed, /healthz says 503 from now on. */
  | { type: 'draining' }
  /** The relay thread's own figures for /metrics, every METRICS_PUSH_MS. */
  | { type: 'relay-stats'; backlogBytes: number; restarts: number }
  | { type: 'closed'; summary: SessionSummary }
  | { type: 'shutdown' }
  /** Several of the above, in order, posted together (see INSPECTION_POST_INTERVAL_MS). */
  | { type: 'batch'; messages: ToInspection[] };

export type FromInspection =
  | { type: 'ready'; ui: HostPort }
  /** The 'listening' message arrived (answered at once, even while recovery holds messages). */
  | { type: 'listening' }
  /** Every INSPECTION_HEARTBEAT_MS: the thread's event loop runs (see the watchdog). */
  | { type: 'heartbeat' }
  | { type: 'failed'; message: string }
  /**
   * Tap bytes fully inspected since the last report, per session: the relay's backlog shrinks
   * (and sessions paused by `--inspection lossless` resume). Sent after every message posted,
   * with the slabs of its tap batches (transferred back for reuse: nothing refers to them now).
   */
  | { type: 'consumed'; sessions: ConsumedBytes[]; slabs: ArrayBuffer[] }
  /** A session's stream became compressed or opaque (kept for a restarted thread). */
  | { type: 'follow'; session: string; state: FollowState }
  | { type: 'stopped' };
