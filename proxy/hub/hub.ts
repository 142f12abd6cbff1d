import type { ImapscopeEvent } from '../../shared/events.ts';

/** Where events go: the log, the archive, WebSocket viewers. */
export interface Sink {
  readonly name: string;
  /** Receives events in order. Must not block: a sink that does I/O queues and returns. */
  write(events: readonly ImapscopeEvent[]): void;
  close?(): Promise<void>;
}

/**
 * Fans every session's events out to every sink, stamping each with the
 * process-wide sequence number `gseq` on the way. A sink that throws is
 * reported once through `onSinkError` and never stops the others.
 */
export class Hub {
  private gseq = 0;
  private readonly sinks: Sink[] = [];

  constructor(private readonly onSinkError: (sink: string, err: unknown) => void = () => {}) {}

  add(sink: Sink): void {
    this.sinks.push(sink);
  }

  publish(events: ImapscopeEvent[]): void {
    if (events.length === 0) return;
    for (const e of events) e.gseq = ++this.gseq;
    for (const sink of this.sinks) {
      try {
        sink.write(events);
      } catch (err) {
        this.onSinkError(sink.name, err);
      }
    }
  }

  /** The last gseq handed out (0 before the first event). */
  get lastGseq(): number {
    return this.gseq;
  }

  async close(): Promise<void> {
    await Promise.all(this.sinks.map((s) => s.close?.()));
  }
}
