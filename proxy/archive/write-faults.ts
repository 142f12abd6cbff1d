import { WARN_INTERVAL_MS } from '../limits.ts';

/** What a warning about failed archive writes reports: losses since the previous line. */
export interface WriteFaultReport {
  /** Failed writes (transactions or raw appends) since the last report. */
  failures: number;
  eventsDropped: number;
  chunksDropped: number;
}

/** What the line after an outage reports: its length and all it lost. */
export interface WriteRecoveryReport extends WriteFaultReport {
  outageMs: number;
}

export interface WriteFaultOptions {
  /** At most once per `intervalMs` while writes fail, with the losses since the last call. */
  onError?: (err: unknown, report: WriteFaultReport) => void;
  /** Once when a write succeeds after failures, with the whole outage's losses. */
  onRecover?: (report: WriteRecoveryReport) => void;
  intervalMs?: number;
  now?: () => number;
}

const zero = (): WriteFaultReport => ({ failures: 0, eventsDropped: 0, chunksDropped: 0 });

/**
 * Failed archive writes (a full disk: every flush and every raw append fails, tens a second)
 * turned into one warning per interval with counts, and one line when writes work again.
 */
export class WriteFaults {
  private sinceReport = zero();
  private outage = zero();
  private outageStart: number | null = null;
  private lastReport = -Infinity;
  private readonly intervalMs: number;
  private readonly now: () => number;

  constructor(private readonly opts: WriteFaultOptions = {}) {
    this.intervalMs = opts.intervalMs ?? WARN_INTERVAL_MS;
    this.now = opts.now ?? Date.now;
  }

  /** Whether the last write failed (nothing has succeeded since). */
  get failing(): boolean {
    return this.outageStart !== null;
  }

  failed(err: unknown, eventsDropped: number, chunksDropped: number): void {
    const t = this.now();
    this.outageStart ??= t;
    for (const r of [this.sinceReport, this.outage]) {
      r.failures += 1;
      r.eventsDropped += eventsDropped;
      r.chunksDropped += chunksDropped;
    }
    if (t - this.lastReport < this.intervalMs) return;
    this.lastReport = t;
    const report = this.sinceReport;
    this.sinceReport = zero();
    this.opts.onError?.(err, report);
  }

  /** A write committed: ends an outage, if there was one. */
  succeeded(): void {
    if (this.outageStart === null) return;
    const report = { ...this.outage, outageMs: this.now() - this.outageStart };
    this.outageStart = null;
    this.outage = zero();
    this.sinceReport = zero();
    // The next outage gets its first warning at once.
    this.lastReport = -Infinity;
    this.opts.onRecover?.(report);
  }
}
