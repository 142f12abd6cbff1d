/**
 * Messages between the relay thread and the inspection thread (see thread.ts). The relay
 * thread only forwards bytes; everything that looks at them runs in the inspection thread.
 */
import type { Direction } from '../../shared/direction.ts';
import type { HostPort } from '../config.ts';
import type { SessionInfo, SessionSummary } from '../net/relay.ts';
import type { TransportEvent } from '../transport.ts';
import type { UiTls } from '../ui/ui-tls.ts';

/** What the inspection thread needs to start: the hub's and UI server's part of the config. */
export interface InspectionConfig {
  dataDir: string;
  retainDays: number;
  maxArchiveMb: number;
  revealSecrets: boolean;
  ui: HostPort;
  token: string;
  /** HTTPS for the UI (--ui-cert/--ui-key, already read), and more Host names (--ui-host). */
  uiTls: UiTls | null;
  uiHosts: string[];
  logLevel: string;
  prettyLogs: boolean;
}

/**
 * A tap batch: each chunk's bytes as an ArrayBuffer of its own, transferred (not cloned),
 * with its direction and time. A socket's chunk whose write has completed is handed over
 * as it is; others are copied first.
 */
export interface PackedBatch {
  buffers: ArrayBuffer[];
  directions: Direction[];
  ats: number[];
  /** Sum of the buffers' sizes. */
  bytes: number;
}

export type ToInspection =
  | { type: 'open'; info: SessionInfo }
  | { type: 'chunks'; session: string; batch: PackedBatch }
  | {
      type: 'gap';
      session: string;
      direction: Direction;
      droppedChunks: number;
      droppedBytes: number;
    }
  | { type: 'transport'; session: string; event: TransportEvent }
  | { type: 'end'; session: string }
  /** The client listener is up: the API tells the viewer where mail clients connect. */
  | { type: 'listening'; listen: string }
  | { type: 'closed'; summary: SessionSummary }
  | { type: 'shutdown' }
  /** Several of the above, in order, posted together (see INSPECTION_POST_INTERVAL_MS). */
  | { type: 'batch'; messages: ToInspection[] };

export type FromInspection =
  | { type: 'ready'; ui: HostPort }
  | { type: 'failed'; message: string }
  /** Bytes of tap batches fully inspected since the last report: the relay's backlog shrinks. */
  | { type: 'consumed'; bytes: number }
  | { type: 'stopped' };
