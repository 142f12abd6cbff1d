/**
 * The backfill: sessions archived by an earlier imapscope, before the session list's search
 * text, the audit trail or the session row's newer counters (client ID, exchanges, NO/BAD,
 * lints) existed, are derived from their archived events with the live path's own code, so
 * search, audit and the list answer for them as for sessions archived since.
 *
 * Each session row records the derivation it has had (`derived`, DERIVATION_VERSION in
 * schema.ts): the live archive sets it as it writes, older rows have 0, so finding what needs
 * the backfill is one index lookup, and a session is never derived twice. This module drives
 * an archive's batches (sqlite-backfill.ts, pg-backfill.ts) until none is left: in a running
 * imapscope in the background, pausing after each batch as long as it took, so the inspection
 * thread's other work (events, flushes, the API) keeps at least half of it; offline
 * (`imapscope backfill`) without pauses.
 */
import { BACKFILL_BATCH_EVENTS, BACKFILL_PROGRESS_MS } from '../limits.ts';

/** What one batch did: sessions finished and events read (both 0: nothing was left). */
export interface BackfillBatch {
  sessions: number;
  events: number;
}

/** An archive that can be backfilled (both ArchiveStore implementations). */
export interface Backfillable {
  /** Ended sessions whose derivations are missing or older than this imapscope's. */
  underivedSessions(): Promise<number>;
  /** One batch of at most `maxEvents` events; null once the archive is closed. */
  backfillBatch(maxEvents: number): Promise<BackfillBatch | null>;
}

/** Where a backfill is; `GET /api/status` shows it while it runs. */
export interface BackfillProgress {
  /** Sessions that needed the backfill when it started. */
  sessions: number;
  /** Sessions finished so far. */
  done: number;
  /** Events read so far. */
  events: number;
}

/** A finished (or stopped) backfill. */
export interface BackfillReport extends BackfillProgress {
  ms: number;
  /** false: it stopped early (the archive closed, or a batch failed); the next open goes on. */
  complete: boolean;
}

export interface BackfillOptions {
  /** Events per batch (default BACKFILL_BATCH_EVENTS). */
  batchEvents?: number;
  /** Pause after each batch, as a share of the time it took (default 1; 0: none). */
  pause?: number;
  /** Progress is reported at most this often (default BACKFILL_PROGRESS_MS). */
  progressMs?: number;
  /** Once, when there is something to do, with how many sessions. */
  onStart?: (sessions: number) => void;
  onProgress?: (p: BackfillProgress) => void;
  /** Once at the end, when there was something to do. */
  onDone?: (r: BackfillReport) => void;
  /** A batch failed (a full disk, a lost connection): the backfill stops; the next open goes on. */
  onError?: (err: unknown, p: BackfillProgress) => void;
  /** Test only: after each committed batch, with how many have committed. */
  afterBatch?: (batches: number) => Promise<void> | void;
}

/** A running backfill. */
export class Backfill {
  /** Where it is; null before it has counted what to do, and once it is over. */
  progress: BackfillProgress | null = null;
  /** Resolves when it is over: done, stopped, or failed (never rejects). */
  readonly finished: Promise<BackfillReport>;
  private stopped = false;
  private wake: (() => void) | null = null;

  private constructor(
    private readonly target: Backfillable,
    private readonly opts: BackfillOptions,
  ) {
    this.finished = this.run();
  }

  /**
   * Starts backfilling `target`: counts what needs it, then derives it batch by batch. A
   * target with nothing to do costs one count and reports nothing.
   */
  static start(target: Backfillable, opts: BackfillOptions = {}): Backfill {
    return new Backfill(target, opts);
  }

  /** Stops after the batch running now (the next open goes on); resolves when it has. */
  stop(): Promise<BackfillReport> {
    this.stopped = true;
    this.wake?.();
    return this.finished;
  }

  private async run(): Promise<BackfillReport> {
    const t0 = performance.now();
    const p: BackfillProgress = { sessions: 0, done: 0, events: 0 };
    const report = (complete: boolean): BackfillReport => {
      this.progress = null;
      return { ...p, ms: Math.round(performance.now() - t0), complete };
    };
    try {
      p.sessions = await this.target.underivedSessions();
    } catch (err) {
      this.opts.onError?.(err, p);
      return report(false);
    }
    if (p.sessions === 0 || this.stopped) return report(p.sessions === 0);
    this.progress = p;
    this.opts.onStart?.(p.sessions);
    const batchEvents = this.opts.batchEvents ?? BACKFILL_BATCH_EVENTS;
    const pause = this.opts.pause ?? 1;
    const every = this.opts.progressMs ?? BACKFILL_PROGRESS_MS;
    let reported = performance.now();
    let batches = 0;
    for (;;) {
      if (this.stopped) return report(false);
      const b0 = performance.now();
      let b: BackfillBatch | null;
      try {
        b = await this.target.backfillBatch(batchEvents);
      } catch (err) {
        this.opts.onError?.(err, p);
        return report(false);
      }
      if (b === null) return report(false);
      if (b.sessions === 0 && b.events === 0) break;
      p.done += b.sessions;
      p.events += b.events;
      batches += 1;
      await this.opts.afterBatch?.(batches);
      const now = performance.now();
      if (now - reported >= every) {
        reported = now;
        this.opts.onProgress?.({ ...p });
      }
      // The other work of the thread goes first: timers and I/O that came in meanwhile.
      const ms = pause > 0 ? Math.ceil((now - b0) * pause) : 0;
      await new Promise<void>((resolve) => {
        const t = ms > 0 ? setTimeout(resolve, ms) : setImmediate(resolve);
        this.wake = () => {
          if (ms > 0) clearTimeout(t as NodeJS.Timeout);
          else clearImmediate(t as NodeJS.Immediate);
          resolve();
        };
      });
      this.wake = null;
    }
    const r = report(true);
    this.opts.onDone?.(r);
    return r;
  }
}
