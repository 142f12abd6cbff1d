import type { ImapscopeEvent } from '../../shared/events.ts';
import type { RawChunk } from '../inspection/pipeline.ts';
import { RawRedactor } from './raw-redactor.ts';

export type { RawChunk };

/** Where events go: the log, the archive, WebSocket viewers. */
export interface Sink {
  readonly name: string;
  /** Receives events in order. Must not block: a sink that does I/O queues and returns. */
  write(events: readonly ImapscopeEvent[]): void;
  /** Receives raw (redacted) chunks in stream order; sinks that keep no bytes leave it out. */
  raw?(chunks: readonly RawChunk[]): void;
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
  private readonly redactors = new Map<string, RawRedactor>();
  /** Sessions whose session.close went by: late raw chunks pass without being held. */
  private readonly closed = new Set<string>();

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
    if (this.redactors.size > 0) this.redact(events);
    for (const sink of this.sinks) {
      try {
        sink.write(events);
      } catch (err) {
        this.onSinkError(sink.name, err);
      }
    }
  }

  /**
   * Hands a session's raw plaintext bytes (as the inspector decodes them) to the sinks that keep
   * them (the archive), after masking credentials the way the session's events mask them (see
   * {@link RawRedactor}). Call it with each tap batch, beside `publish`, in stream order.
   */
  raw(chunks: readonly RawChunk[]): void {
    if (chunks.length === 0 || !this.sinks.some((s) => s.raw)) return;
    for (const c of chunks) {
      let r = this.redactors.get(c.session);
      if (!r) {
        r = new RawRedactor(c.session, (out) => this.rawOut(out));
        if (!this.closed.has(c.session)) this.redactors.set(c.session, r);
      }
      r.raw([c]);
      if (this.closed.has(c.session)) r.end();
    }
  }

  private redact(events: readonly ImapscopeEvent[]): void {
    for (const e of events) {
      const r = this.redactors.get(e.session);
      if (!r) continue;
      r.events([e]);
      if (e.type === 'session.close') {
        r.end();
        this.redactors.delete(e.session);
        this.closed.add(e.session);
        // Only late chunks need this, and they come within a tick or two.
        if (this.closed.size > 1000) this.closed.delete(this.closed.values().next().value!);
      }
    }
  }

  private rawOut(chunks: readonly RawChunk[]): void {
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
