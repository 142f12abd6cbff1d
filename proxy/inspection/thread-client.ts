/**
 * The relay thread's side of the inspection thread (thread.ts): starts the worker, and gives
 * each session a SessionInspector that hands every chunk and transport event to the one
 * outbox (outbox.ts), which queues them in order, posts them in batches (their bytes copied
 * into slabs that go to the worker and come back, slabs.ts), and decides what happens when inspection falls behind: `lossless` (the
 * default) pauses the session's relay past the bounds until inspection catches up;
 * `best-effort` drops chunks past MAX_INSPECTION_BACKLOG_BYTES and the session gets a gap
 * event instead.
 *
 * The worker may die (a bug in a decoder, out of memory): the relay goes on, every byte in
 * flight is counted lost, a new worker starts, and the sessions that were open get a gap and
 * go on being inspected (their events continue after the archive's last). While no worker
 * runs, nothing pauses: the bytes are counted as a gap.
 */
import { Worker } from 'node:worker_threads';
import type { HostPort, InspectionMode } from '../config.ts';
import { METRICS_PUSH_MS, INSPECTION_RESTART_DELAY_MS, INSPECTION_WATCHDOG_MS } from '../limits.ts';
import type { Logger } from '../log.ts';
import { COMPILED } from '../paths.ts';
import type { SessionInfo, SessionSummary } from '../net/relay.ts';
import type { InspectionFlow, SessionInspector, SessionTransport } from '../transport.ts';
import type { BacklogBounds } from './backlog.ts';
import { InspectionOutbox } from './outbox.ts';
import type { FromInspection, InspectionConfig, ToInspection } from './thread-protocol.ts';
import type { FollowState } from './transport-follower.ts';

export interface InspectionOptions {
  log: Logger;
  mode?: InspectionMode;
  /** best-effort: backlog past which chunks are dropped (outbox.ts). */
  backlogCap?: number;
  /** lossless: where sessions pause and resume. */
  bounds?: BacklogBounds;
  /** Silence (ms) after which the thread is taken for stuck and restarted (INSPECTION_WATCHDOG_MS). */
  watchdogMs?: number;
}

/** What the relay thread remembers of an open session, to resume it in a new worker. */
interface OpenSession {
  info: SessionInfo;
  transport: SessionTransport;
  /** Where the inspection thread's follower last said the stream stands (compressed, opaque). */
  follow: FollowState | null;
  /** The relay closed the inspector ('end' was due) while no worker ran. */
  ended: boolean;
  /** The relay's summary, when the session closed while no worker ran. */
  summary: SessionSummary | null;
}

function spawn(config: InspectionConfig): Promise<{ worker: Worker; ui: HostPort }> {
  // Compiled, the worker runs thread.js; from the sources, thread-entry.mjs loads tsx in the
  // worker, which then runs thread.ts as it is.
  const entry = COMPILED ? './thread.js' : './thread-entry.mjs';
  const worker = new Worker(new URL(entry, import.meta.url), {
    workerData: config,
  });
  return new Promise((resolve, reject) => {
    const onMessage = (m: FromInspection): void => {
      if (m.type === 'ready') {
        worker.off('message', onMessage);
        worker.off('error', reject);
        worker.off('exit', onExit);
        resolve({ worker, ui: m.ui });
      } else if (m.type === 'failed') {
        void worker.terminate();
        reject(new Error(m.message));
      }
    };
    const onExit = (code: number): void => reject(new Error(`exited with code ${code}`));
    worker.on('message', onMessage);
    worker.once('error', reject);
    worker.once('exit', onExit);
  });
}

export class InspectionThread {
  /** How many times inspection was restarted after its thread died or got stuck. */
  restarts = 0;
  /** How many of those restarts were the watchdog's (the thread was stuck, not dead). */
  stuck = 0;
  /** When the current worker was last heard from (any message). */
  private heardAt = Date.now();
  private readonly watchdog: NodeJS.Timeout;
  readonly mode: InspectionMode;
  private worker: Worker | null;
  /** Everything posted to the worker goes through it, in order (outbox.ts). */
  private readonly outbox: InspectionOutbox;
  private readonly sessions = new Map<string, OpenSession>();
  private listen: string | null = null;
  private stopped: Promise<void> | null = null;
  private restartTimer: NodeJS.Timeout | null = null;
  /** Posts the backlog and restart count for /metrics (the worker cannot know them). */
  private readonly statsTimer: NodeJS.Timeout;

  private constructor(
    worker: Worker,
    readonly ui: HostPort,
    private readonly config: InspectionConfig,
    private readonly opts: InspectionOptions,
  ) {
    this.mode = opts.mode ?? 'lossless';
    this.outbox = new InspectionOutbox({
      ...(opts.bounds ? { bounds: opts.bounds } : {}),
      ...(opts.backlogCap !== undefined ? { cap: opts.backlogCap } : {}),
    });
    this.worker = worker;
    this.outbox.attach((m, transfer) => worker.postMessage(m, transfer));
    this.watch(worker);
    this.statsTimer = setInterval(() => {
      this.post({
        type: 'relay-stats',
        backlogBytes: this.outbox.backlogBytes,
        restarts: this.restarts,
      });
    }, METRICS_PUSH_MS);
    this.statsTimer.unref();
    const silentMs = opts.watchdogMs ?? INSPECTION_WATCHDOG_MS;
    this.watchdog = setInterval(
      () => {
        const w = this.worker;
        if (!w || this.stopped || Date.now() - this.heardAt <= silentMs) return;
        this.stuck += 1;
        this.opts.log.error(
          { silentMs: Date.now() - this.heardAt, restarts: this.restarts + 1, stuck: this.stuck },
          'inspection thread stopped answering: relaying goes on, inspection restarts',
        );
        // down() first: the worker's exit is then not taken for a second failure.
        this.down();
        void w.terminate();
      },
      Math.max(100, Math.min(1_000, silentMs / 4)),
    );
    this.watchdog.unref();
  }

  /** Shutdown began (the listener is closed): /healthz answers 503 from now on. */
  draining(): void {
    this.post({ type: 'draining' });
  }

  /** Starts the worker; resolves once its UI server listens, rejects with its one-line reason. */
  static async start(config: InspectionConfig, opts: InspectionOptions): Promise<InspectionThread> {
    const { worker, ui } = await spawn(config);
    return new InspectionThread(worker, ui, config, opts);
  }

  /** Tap bytes handed to inspection and not yet inspected (all sessions). */
  get backlogBytes(): number {
    return this.outbox.backlogBytes;
  }

  private watch(worker: Worker): void {
    let failure = '';
    this.heardAt = Date.now();
    worker.on('message', (m: FromInspection) => {
      if (this.worker === worker) this.heardAt = Date.now();
      if (m.type === 'follow') {
        const s = this.sessions.get(m.session);
        if (s) s.follow = m.state;
        return;
      }
      if (m.type !== 'consumed') return;
      this.outbox.consumed(m.sessions, m.slabs);
    });
    // Without an 'error' listener an uncaught exception in the worker is rethrown here and
    // takes the relay down with it.
    worker.on('error', (err) => (failure = err instanceof Error ? err.message : String(err)));
    worker.once('exit', (code) => {
      if (this.stopped || this.worker !== worker) return;
      this.opts.log.error(
        { err: failure || `exit code ${code}`, restarts: this.restarts + 1 },
        'inspection thread failed: relaying goes on, inspection restarts',
      );
      this.down();
    });
  }

  /** The worker is gone: whatever it had not inspected is lost; start another. */
  private down(delay = INSPECTION_RESTART_DELAY_MS): void {
    this.worker = null;
    this.outbox.detach();
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      // Same UI address (the port actually bound), no test crash the second time.
      const {
        testCrashAfterBytes: _,
        testHoldRecoveryUntil: __,
        testSpinAfterBytes: ___,
        ...rest
      } = this.config;
      spawn({ ...rest, ui: this.ui }).then(
        ({ worker }) => this.up(worker),
        (err: Error) => {
          if (this.stopped) return;
          this.opts.log.error({ err: err.message }, 'inspection thread did not restart');
          this.down(Math.min(delay * 2, 30_000));
        },
      );
    }, delay);
  }

  private up(worker: Worker): void {
    if (this.stopped) {
      void worker.terminate();
      return;
    }
    this.worker = worker;
    this.outbox.attach((m, transfer) => worker.postMessage(m, transfer));
    this.restarts += 1;
    this.watch(worker);
    this.opts.log.info({ restarts: this.restarts }, 'inspection restarted');
    if (this.listen) this.post({ type: 'listening', listen: this.listen });
    for (const s of this.sessions.values()) {
      this.post({
        type: 'open',
        info: s.info,
        interceptsStarttls: s.transport.interceptsStarttls,
        resume: true,
        ...(s.follow ? { follow: s.follow } : {}),
      });
      this.outbox.reportLost(s.info.id);
      if (s.ended) this.post({ type: 'end', session: s.info.id });
      if (s.summary) {
        this.post({ type: 'closed', summary: s.summary });
        this.sessions.delete(s.info.id);
        this.outbox.forget(s.info.id);
      }
    }
  }

  private post(m: ToInspection): void {
    this.outbox.send(m);
  }

  /**
   * The inspector the relay hands a session's chunks to, each right after forwarding it: it
   * queues them in the outbox. With `flow` (and in lossless mode) the session is paused while
   * inspection is too far behind instead of losing bytes.
   */
  inspector(
    info: SessionInfo,
    flow?: InspectionFlow,
    transport: SessionTransport = { interceptsStarttls: false },
  ): SessionInspector {
    const session = info.id;
    const lossless = this.mode === 'lossless' && flow !== undefined;
    const open: OpenSession = { info, transport, follow: null, ended: false, summary: null };
    this.sessions.set(session, open);
    const outbox = this.outbox;
    outbox.open(session, lossless ? flow : null);
    this.post({ type: 'open', info, interceptsStarttls: transport.interceptsStarttls });
    return {
      lossless,
      chunks: (batch) => {
        for (const c of batch) outbox.chunk(session, c);
      },
      gap: (direction, droppedChunks, droppedBytes, at) => {
        outbox.lose(session, direction, droppedChunks, droppedBytes, at ?? Date.now());
        outbox.reportLost(session);
      },
      transport: (event) => this.post({ type: 'transport', session, event }),
      close: () => {
        open.ended = true;
        outbox.reportLost(session);
        this.post({ type: 'end', session });
      },
    };
  }

  /** Tells the API where mail clients connect (shown in the viewer's empty state). */
  /**
   * Tells the thread the client listener is up (for the API and /healthz), at once rather than
   * with the next post; resolves when the thread has it, or when it died meanwhile (the relay
   * goes on without it), so that the ready line is written after /healthz answers ok.
   */
  listening(listen: string): Promise<void> {
    this.listen = listen;
    const worker = this.worker;
    if (!worker) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = (): void => {
        worker.off('message', onMessage);
        worker.off('exit', done);
        resolve();
      };
      const onMessage = (m: FromInspection): void => {
        if (m.type === 'listening') done();
      };
      worker.on('message', onMessage);
      worker.once('exit', done);
      this.post({ type: 'listening', listen });
      this.outbox.flush();
    });
  }

  /** The relay's summary of a closed session (bytes, reason): session.close is published from it. */
  closed(summary: SessionSummary): void {
    this.outbox.close(summary.id);
    const open = this.sessions.get(summary.id);
    if (!this.worker && open) {
      open.summary = summary; // posted once a new worker runs
      return;
    }
    this.sessions.delete(summary.id);
    this.outbox.forget(summary.id);
    this.post({ type: 'closed', summary });
  }

  /** Flushes the archive, closes the UI server and ends the worker. */
  stop(): Promise<void> {
    this.stopped ??= new Promise<void>((resolve) => {
      clearInterval(this.watchdog);
      if (this.restartTimer) clearTimeout(this.restartTimer);
      clearInterval(this.statsTimer);
      const worker = this.worker;
      if (!worker) return resolve();
      const timer = setTimeout(() => void worker.terminate().then(() => resolve()), 5000);
      worker.on('message', (m: FromInspection) => {
        if (m.type === 'stopped') {
          clearTimeout(timer);
          void worker.terminate().then(() => resolve());
        }
      });
      worker.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      this.post({ type: 'shutdown' });
      this.outbox.flush();
    });
    return this.stopped;
  }
}
