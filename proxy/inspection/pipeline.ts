/**
 * The per-session inspection pipeline: tap chunks → one WireDecoder per direction → the
 * tracker → events → the hub. {@link SessionPipeline} is sans-I/O (chunks in, events out) so
 * tests drive it with buffers; {@link createSessionInspector} adapts it to the relay's
 * SessionInspector interface.
 */
import type { Direction } from '../../shared/direction.ts';
import type { Endpoint, ImapscopeEvent } from '../../shared/events.ts';
import type { Message } from '../../shared/messages.ts';
import type { SessionInspector, TapChunk, TransportEvent } from '../transport.ts';
import { WireDecoder } from '../wire/decoder.ts';
import type { FramerMode } from '../wire/framer.ts';
import { type CloseInfo, SessionTracker, type TrackerOptions } from '../session/tracker.ts';

export interface PipelineOptions extends Omit<TrackerOptions, 'clientLiteralPending'> {
  client: Endpoint;
  upstream: Endpoint;
  /** When the session started (ms since the epoch): the session.open event's time. */
  startedAt: number;
  /**
   * Inspection restarted while the session was open: its session.open (and events up to
   * `afterSeq`) were published already, so none is published again.
   */
  resumed?: boolean;
}

/**
 * Decodes and tracks one session. Drives the client decoder's mode from the tracker
 * (AUTHENTICATE → sasl until the completion, IDLE → idle after the server's `+`) and refuses
 * the client's pending synchronizing literal when the server answers its tag with NO/BAD
 * instead of `+`. After STARTTLS/COMPRESS succeed, decoding pauses until the net layer reports
 * the new transport ({@link transport}); until then the bytes are ciphertext or compressed.
 */
export class SessionPipeline {
  readonly tracker: SessionTracker;
  private readonly c2s = new WireDecoder('c2s');
  private readonly s2c = new WireDecoder('s2c');
  private clientMode: FramerMode = 'normal';
  private closed = false;
  /** After a gap: Malformed messages of that direction are skipped until one decodes. */
  private readonly resyncing: Record<Direction, boolean> = { c2s: false, s2c: false };

  constructor(options: PipelineOptions) {
    this.tracker = new SessionTracker({
      ...options,
      clientLiteralPending: () => this.c2s.pendingSyncLiteral !== null,
    });
    if (options.resumed !== true)
      this.tracker.open(options.client, options.upstream, options.startedAt);
  }

  /** Feeds chunks in arrival order; returns the events they produced. */
  push(batch: readonly TapChunk[]): ImapscopeEvent[] {
    for (const chunk of batch) {
      if (this.closed || this.tracker.opaque) continue;
      const decoder = chunk.direction === 'c2s' ? this.c2s : this.s2c;
      this.feed(decoder.push(chunk.data), chunk.at);
    }
    return this.tracker.take();
  }

  /** See SessionInspector.gap. */
  gap(
    direction: Direction,
    droppedChunks: number,
    droppedBytes: number,
    at = Date.now(),
  ): ImapscopeEvent[] {
    // The bytes after the hole start mid-message (often inside a literal): restart that
    // direction's decoder and skip what does not decode until a message does. The gap event
    // stands for all of it, rather than a Malformed event per line of someone's attachment.
    const decoder = direction === 'c2s' ? this.c2s : this.s2c;
    decoder.restart();
    if (direction === 'c2s') decoder.setMode(this.clientMode);
    this.resyncing[direction] = true;
    this.tracker.gap(direction, droppedChunks, droppedBytes, at);
    return this.tracker.take();
  }

  /** A transport change or notice from the net layer (see SessionInspector.transport). */
  transport(event: TransportEvent): ImapscopeEvent[] {
    this.tracker.transport(event);
    return this.tracker.take();
  }

  /** The streams ended: a message cut short becomes Malformed (unless decoding was paused). */
  end(at: number): ImapscopeEvent[] {
    if (!this.closed && !this.tracker.opaque) {
      this.feed(this.c2s.end(), at);
      this.feed(this.s2c.end(), at);
    }
    this.closed = true;
    return this.tracker.take();
  }

  /** The session closed: aborted exchanges and session.close. Call after {@link end}. */
  close(info: CloseInfo, at: number): ImapscopeEvent[] {
    if (!this.closed) this.end(at);
    this.tracker.close(info, at);
    return this.tracker.take();
  }

  private feed(messages: Message[], at: number): void {
    const t = this.tracker;
    for (const m of messages) {
      if (t.opaque) return;
      if (this.resyncing[m.direction]) {
        if (m.type === 'malformed') continue;
        this.resyncing[m.direction] = false;
      }
      if (
        m.type === 'tagged' &&
        m.status !== 'OK' &&
        this.c2s.pendingSyncLiteral !== null &&
        !t.isInFlight(m.tag)
      ) {
        // The server refused the literal the client is announcing: its command ends at the marker.
        for (const r of this.c2s.refuseLiteral()) this.one(r, at);
      }
      this.one(m, at);
    }
  }

  private one(m: Message, at: number): void {
    this.tracker.message(m, at);
    const mode = this.tracker.clientMode;
    if (mode !== this.clientMode) {
      this.clientMode = mode;
      this.c2s.setMode(mode);
    }
  }
}

/**
 * Bytes of one direction as they crossed the relay, after redaction (secrets masked, same
 * length, so offsets in events still point at the right bytes).
 */
export interface RawChunk {
  session: string;
  direction: Direction;
  /** ms since the epoch. */
  at: number;
  data: Uint8Array;
}

/** Where a session's events and raw bytes go (the hub, in the application). */
export interface PipelineOutlet {
  publish(events: readonly ImapscopeEvent[]): void;
  raw(chunks: readonly RawChunk[]): void;
}

/** What a session's inspector needs from the application. */
export interface InspectorOptions {
  hub: PipelineOutlet;
  revealSecrets?: boolean;
  tls?: boolean;
  /** Inspection restarted while the session was open: continue after this seq, no session.open. */
  resume?: { afterSeq: number };
}

/** The relay's inspector plus the session.close hook the application calls with the summary. */
export interface TrackingInspector extends SessionInspector {
  /** Publishes session.close with the relay's figures (bytes, reason); once. */
  closed(info: CloseInfo): void;
}

/** A SessionInspector publishing one session's events to the hub. */
export function createSessionInspector(
  info: { id: string; client: Endpoint; upstream: Endpoint; startedAt: number },
  options: InspectorOptions,
): TrackingInspector {
  const pipeline = new SessionPipeline({
    session: info.id,
    client: info.client,
    upstream: info.upstream,
    startedAt: info.startedAt,
    revealSecrets: options.revealSecrets,
    tls: options.tls,
    ...(options.resume ? { resumed: true, afterSeq: options.resume.afterSeq } : {}),
  });
  const hub = options.hub;
  let done = false;
  hub.publish(pipeline.push([]));
  return {
    chunks(batch) {
      // hub (issue 6): the raw plaintext for the archive, redacted by the hub from these
      // events; before publish so the hub's redactor sees the events that cover the bytes.
      hub.raw(
        batch.map((c) => ({ session: info.id, direction: c.direction, at: c.at, data: c.data })),
      );
      hub.publish(pipeline.push(batch));
    },
    gap(direction, droppedChunks, droppedBytes, at) {
      hub.publish(pipeline.gap(direction, droppedChunks, droppedBytes, at));
    },
    transport(event) {
      hub.publish(pipeline.transport(event));
    },
    close() {
      hub.publish(pipeline.end(Date.now()));
    },
    closed(closeInfo) {
      if (done) return;
      done = true;
      hub.publish(pipeline.close(closeInfo, Date.now()));
    },
  };
}
