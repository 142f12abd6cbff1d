import type { ImapscopeEvent } from '../../shared/events.ts';
import type { RawChunk } from '../inspection/pipeline.ts';

export type { RawChunk };

/** Where events go: the log, the archive, WebSocket viewers. */
export interface Sink {
  readonly name: string;
  /** Receives events in order. Must not block: a sink that does I/O queues and returns. */
  write(events: readonly ImapscopeEvent[]): void;
  /**
   * Receives raw chunks (secrets already masked by the session pipeline) in stream order; the
   * bytes are lent for the call only. Sinks that keep no bytes leave it out.
   */
  raw?(chunks: readonly RawChunk[]): void;
  close?(): Promise<void>;
}

/**
 * Fans every session's events and raw chunks out to every sink, stamping each event with the
 * process-wide sequence number `gseq` on the way. Fan-out only: what reaches it is masked
 * already (SessionPipeline, DESIGN.md rule 6). A sink that throws is reported through
 * `onSinkError` and never stops the others.
 */
export class Hub {
  private gseq = 0;
  private readonly sinks: Sink[] = [];

  constructor(private readonly onSinkError: (sink: string, err: unknown) => void = () => {}) {}

  add(sink: Sink): void {
    this.sinks.push(sink);
  }

  /**
   * Continues the gseq numbering after `last` (the archive's highest), so gseq grows across
   * restarts and a viewer's resume point stays meaningful. Ignored once events were published.
   */
  seed(last: number): void {
    if (this.gseq === 0) this.gseq = last;
  }

  publish(events: readonly ImapscopeEvent[]): void {
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

  /** Hands raw chunks, as the session pipeline released them, to the sinks that keep bytes. */
  /**
   * Events recorded elsewhere (another instance sharing the archive) shown to some sinks only
   * (the viewers): they get this hub's next gseqs, so they interleave with local events in one
   * ordered stream, but never reach the archive or the log a second time.
   */
  publishTo(events: readonly ImapscopeEvent[], sinks: readonly Sink[]): void {
    if (events.length === 0) return;
    for (const e of events) e.gseq = ++this.gseq;
    for (const sink of sinks) {
      try {
        sink.write(events);
      } catch (err) {
        this.onSinkError(sink.name, err);
      }
    }
  }

  raw(chunks: readonly RawChunk[]): void {
    if (chunks.length === 0) return;
    for (const sink of this.sinks) {
      if (!sink.raw) continue;
      try {
        sink.raw(chunks);
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
