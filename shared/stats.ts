/**
 * One row of the latency statistics (proxy/archive/stats.ts): served by `GET /api/stats`,
 * printed by `imapscope stats`, charted by the viewer's Statistics page.
 */
export interface CommandStats {
  command: string;
  /** The upstream or user this row is for, when grouped by one; else null. */
  group: string | null;
  count: number;
  ok: number;
  no: number;
  bad: number;
  aborted: number;
  /** Milliseconds; null when no exchange of the row completed. */
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
}
