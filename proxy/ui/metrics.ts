/**
 * Prometheus metrics (`GET /metrics`, text format 0.0.4, through prom-client). Nothing here
 * runs on the relay's path: sessions, commands and gaps are counted from the hub's events (a
 * sink) and the relay's open/close messages, relayed bytes from the tap batches and gaps the
 * inspection thread receives, and gauges (open
 * sessions, backlog, archive queue, WebSocket clients) are read when Prometheus scrapes.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Direction } from '../../shared/direction.ts';
import type { ImapscopeEvent } from '../../shared/events.ts';
import { COMMAND_REFERENCE } from '../../shared/imap-reference.ts';
import type { Sink } from '../hub/hub.ts';

/** Command latency buckets in seconds: 1 ms (NOOP on loopback) to 60 s (a large FETCH or APPEND). */
const LATENCY_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** Archive flush buckets in seconds. */
const FLUSH_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

/**
 * A command label: a name in imapscope's command table as it is, anything else `OTHER`, so a
 * client sending made-up command names cannot grow the label set without bound.
 */
export function commandLabel(name: string): string {
  const upper = name.toUpperCase();
  return COMMAND_REFERENCE.has(upper) ? upper : 'OTHER';
}

/** What the scrape reads from elsewhere when it happens. */
export interface MetricsSources {
  /** Events queued for the archive's next flush; null without an archive. */
  archiveQueue(): number | null;
  /** Viewers connected over WebSocket. */
  wsClients(): number;
}

export class Metrics implements Sink {
  readonly name = 'metrics';
  readonly registry = new Registry();
  private open = 0;
  private backlog = 0;
  private restartsSeen = 0;
  private readonly sessions: Counter<'reason'>;
  private readonly relayed: Counter<'direction'>;
  private readonly commands: Counter<'command' | 'status'>;
  private readonly latency: Histogram<'command'>;
  private readonly gaps: Counter<'direction'>;
  private readonly restarts: Counter;
  private readonly flushes: Histogram;

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    new Gauge({
      name: 'imapscope_sessions_open',
      help: 'Client sessions open now',
      registers,
      collect() {
        this.set(self.open);
      },
    });
    this.sessions = new Counter({
      name: 'imapscope_sessions_total',
      help: 'Client sessions ended, by why they ended (closed, client-reset, idle-timeout, shutdown...)',
      labelNames: ['reason'],
      registers,
    });
    this.relayed = new Counter({
      name: 'imapscope_relayed_bytes_total',
      help: 'Bytes relayed, by direction (c2s: client to server, s2c: server to client)',
      labelNames: ['direction'],
      registers,
    });
    this.commands = new Counter({
      name: 'imapscope_commands_total',
      help: 'IMAP commands answered, by name (OTHER: not an IMAP command imapscope knows) and status (OK, NO, BAD, aborted)',
      labelNames: ['command', 'status'],
      registers,
    });
    this.latency = new Histogram({
      name: 'imapscope_command_duration_seconds',
      help: "Time from a command's last byte to its tagged completion's first byte, by command",
      labelNames: ['command'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    new Gauge({
      name: 'imapscope_inspection_backlog_bytes',
      help: 'Relayed bytes not yet inspected (lossless inspection slows the relay past its bound)',
      registers,
      collect() {
        this.set(self.backlog);
      },
    });
    this.gaps = new Counter({
      name: 'imapscope_inspection_gap_bytes_total',
      help: 'Relayed bytes inspection never saw (best-effort inspection fell behind, or its thread died)',
      labelNames: ['direction'],
      registers,
    });
    this.restarts = new Counter({
      name: 'imapscope_inspection_restarts_total',
      help: 'Times the inspection thread died and was restarted (the relay went on)',
      registers,
    });
    new Gauge({
      name: 'imapscope_archive_queue_events',
      help: "Events waiting for the archive's next flush",
      registers,
      collect() {
        this.set(sources.archiveQueue() ?? 0);
      },
    });
    this.flushes = new Histogram({
      name: 'imapscope_archive_flush_seconds',
      help: 'Time one archive flush (one transaction) took',
      buckets: FLUSH_BUCKETS,
      registers,
    });
    new Gauge({
      name: 'imapscope_websocket_clients',
      help: 'Viewers connected over WebSocket',
      registers,
      collect() {
        this.set(sources.wsClients());
      },
    });
    for (const d of ['c2s', 's2c'] as const) {
      this.relayed.inc({ direction: d }, 0);
      this.gaps.inc({ direction: d }, 0);
    }
  }

  /** The relay opened a session (told the inspection thread so). */
  sessionOpened(): void {
    this.open += 1;
  }

  /** The relay closed a session, for `reason` (its summary's). */
  sessionClosed(reason: string): void {
    this.open = Math.max(0, this.open - 1);
    this.sessions.inc({ reason });
  }

  /** Counts from the hub's events: commands and their latency, inspection gaps. */
  write(events: readonly ImapscopeEvent[]): void {
    for (const e of events) {
      switch (e.type) {
        case 'exchange': {
          const command = commandLabel(e.command);
          this.commands.inc({ command, status: e.status });
          if (e.latencyMs !== null) this.latency.observe({ command }, e.latencyMs / 1000);
          break;
        }
        case 'gap':
          this.gaps.inc({ direction: e.direction }, e.droppedBytes);
          break;
        default:
          break;
      }
    }
  }

  /** Bytes the relay forwarded, as tap batches and gaps reach the inspection thread. */
  relayedBytes(direction: Direction, bytes: number): void {
    if (bytes > 0) this.relayed.inc({ direction }, bytes);
  }

  /** The relay thread's figures, posted every METRICS_PUSH_MS. */
  relayStats(backlogBytes: number, restarts: number): void {
    this.backlog = backlogBytes;
    if (restarts > this.restartsSeen) {
      this.restarts.inc(restarts - this.restartsSeen);
      this.restartsSeen = restarts;
    }
  }

  /** One archive flush took `ms`. */
  archiveFlushed(ms: number): void {
    this.flushes.observe(ms / 1000);
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
