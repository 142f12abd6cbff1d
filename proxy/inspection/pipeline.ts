/**
 * The per-session inspection pipeline: tap chunks → one WireDecoder per direction → the
 * tracker → events and masked raw bytes → the hub. {@link SessionPipeline} is sans-I/O (chunks
 * in, events and raw chunks out) so tests drive it with buffers; {@link createSessionInspector}
 * adapts it to the relay's SessionInspector interface. Masking is decided here, once, before
 * anything is written (DESIGN.md rule 6): the tracker masks the events and says which client
 * bytes it masked, and the {@link RawMasker} releases the raw bytes accordingly.
 */
import type { Direction } from '../../shared/direction.ts';
import type { Endpoint, ImapscopeEvent } from '../../shared/events.ts';
import type { Malformed, Message } from '../../shared/messages.ts';
import type { SessionInspector, TapChunk, TransportEvent } from '../transport.ts';
import { WireDecoder } from '../wire/decoder.ts';
import type { FramerMode } from '../wire/framer.ts';
import { LITERAL_PREVIEW_BYTES } from '../limits.ts';
import { RawMasker } from '../session/raw-masker.ts';
import { type MaskSpan, redactMalformedClient } from '../session/redact.ts';
import {
  type CloseInfo,
  SessionTracker,
  type TrackerOptions,
  type TransportSwitch,
} from '../session/tracker.ts';

export interface PipelineOptions extends Omit<TrackerOptions, 'clientLiteralPending'> {
  /**
   * Hash every literal body (sha256, in LiteralRef.sha256): --literal-hashes. Off, literal
   * bodies cost only their preview copy; their hash is null.
   */
  hashLiterals?: boolean;
  client: Endpoint;
  upstream: Endpoint;
  /** When the session started (ms since the epoch): the session.open event's time. */
  startedAt: number;
  /**
   * Inspection restarted while the session was open: its session.open (and events up to
   * `afterSeq`) were published already, so none is published again.
   */
  resumed?: boolean;
  /**
   * A TransportFollower stands in front and takes the bytes after a transport switch: {@link
   * SessionPipeline.push} stops right after the message that switched and says where
   * (PipelineOutput.boundary). Without it the bytes after a switch are fed on (and, once the
   * tracker is opaque, passed on undecoded), as a rawlog import wants.
   */
  stopAtSwitch?: boolean;
}

/**
 * Where the pipeline stopped taking a batch: the transport switched right after byte `end` of
 * the chunk at `index` (chunks before it were taken whole; that chunk's bytes from `end` on and
 * the chunks after it were not).
 */
export type TransportBoundary = TransportSwitch & { index: number; end: number };

/** What one step of the pipeline produced: events, and raw bytes with secrets masked. */
export interface PipelineOutput {
  events: ImapscopeEvent[];
  /**
   * Bytes as they crossed the relay, in stream order per direction, masked; together they are
   * each direction's stream, byte for byte in length. They may share memory with the chunks
   * pushed: hand them on before those buffers are reused.
   */
  raw: RawChunk[];
  /** With `stopAtSwitch`, where a transport switch ended the batch's plaintext; else absent. */
  boundary?: TransportBoundary;
}

const EMPTY = Buffer.alloc(0);

/**
 * Decodes and tracks one session. Drives the client decoder's mode from the tracker
 * (AUTHENTICATE → sasl until the completion, IDLE → idle after the server's `+`) and refuses
 * the client's pending synchronizing literal when the server answers its tag with NO/BAD
 * instead of `+`. After STARTTLS/COMPRESS succeed, decoding pauses until the net layer reports
 * the new transport ({@link transport}); until then the bytes are ciphertext or compressed.
 */
export class SessionPipeline {
  readonly tracker: SessionTracker;
  private readonly c2s: WireDecoder;
  private readonly s2c: WireDecoder;
  private clientMode: FramerMode = 'normal';
  /** Offset of the client command last announced to the tracker by its first line. */
  private announced = -1;
  private closed = false;
  /** After a gap: Malformed messages of that direction are skipped until one decodes. */
  private readonly resyncing: Record<Direction, boolean> = { c2s: false, s2c: false };
  private readonly session: string;
  private readonly reveal: boolean;
  private readonly masker: RawMasker;
  /** The client message in progress began or ran in SASL mode. */
  private saslMessage = false;
  private readonly stopAtSwitch: boolean;
  /** Stream offset of the next s2c byte (the c2s one is the masker's fedBytes). */
  private s2cFed = 0;

  constructor(options: PipelineOptions) {
    this.session = options.session;
    const framing = { hashLiterals: options.hashLiterals === true };
    this.c2s = new WireDecoder('c2s', framing);
    this.s2c = new WireDecoder('s2c', framing);
    this.reveal = options.revealSecrets === true;
    this.masker = new RawMasker(this.reveal);
    this.stopAtSwitch = options.stopAtSwitch === true;
    this.tracker = new SessionTracker({
      ...options,
      clientLiteralPending: () => this.c2s.pendingSyncLiteral !== null,
    });
    if (options.resumed !== true)
      this.tracker.open(options.client, options.upstream, options.startedAt);
  }

  /**
   * Feeds chunks in arrival order; returns the events and raw bytes they produced. With
   * `stopAtSwitch` it stops right after a message that switched the transport (the boundary
   * says where; a switch at a chunk's last byte ends the batch too).
   */
  push(batch: readonly TapChunk[]): PipelineOutput {
    const raw: RawChunk[] = [];
    for (let i = 0; i < batch.length; i++) {
      const chunk = batch[i]!;
      const { direction, at } = chunk;
      if (this.closed || this.tracker.opaque) {
        // Not decoded (ciphertext, or after the end): nothing decides about client bytes.
        if (direction === 's2c')
          raw.push({ session: this.session, direction, at, data: chunk.data });
        else {
          this.release(this.masker.flush(), at, raw);
          const data = this.reveal ? chunk.data : RawMasker.maskedWhole(chunk.data);
          raw.push({ session: this.session, direction, at, data });
        }
        continue;
      }
      if (direction === 's2c') {
        const start = this.s2cFed;
        this.s2cFed += chunk.data.length;
        const cut = this.feed(this.s2c.push(chunk.data), at, 's2c');
        const data = cut === null ? chunk.data : this.cut(this.s2c, cut, start, chunk.data);
        raw.push({ session: this.session, direction, at, data });
        // A refused literal may have completed client messages.
        this.take(EMPTY, at, raw);
        if (cut !== null) return this.stopped(raw, cut, i, data.length);
        continue;
      }
      const before = this.masker.messageStart;
      const mode = this.clientMode;
      const start = this.masker.fedBytes;
      const fresh = before === start;
      const cut = this.feed(this.c2s.push(chunk.data), at, 'c2s');
      const data = cut === null ? chunk.data : this.cut(this.c2s, cut, start, chunk.data);
      if (fresh || this.masker.messageStart !== before) this.saslMessage = mode === 'sasl';
      this.take(data, at, raw);
      if (cut !== null) return this.stopped(raw, cut, i, data.length);
    }
    return { events: this.tracker.take(), raw };
  }

  /**
   * The decoder was fed `data` (from stream offset `start`) whole, but its bytes after the
   * message that switched the transport are not this transport's: the decoder starts again
   * where that message ended, fresh (the switch is at a message's end, where nothing is in
   * progress). Returns the part of `data` that was plaintext.
   */
  private cut(decoder: WireDecoder, cut: SwitchAt, start: number, data: Buffer): Buffer {
    const end = Math.min(Math.max(cut.end - start, 0), data.length);
    decoder.restart(cut.end);
    if (decoder === this.c2s) {
      decoder.setMode(this.clientMode);
      this.announced = -1;
    } else this.s2cFed = cut.end;
    return end === data.length ? data : data.subarray(0, end);
  }

  private stopped(raw: RawChunk[], cut: SwitchAt, index: number, end: number): PipelineOutput {
    return { events: this.tracker.take(), raw, boundary: { ...cut.switch, index, end } };
  }

  /** Hands the client bytes just fed (or none) to the masker; what may go joins `raw`. */
  private take(data: Buffer, at: number, raw: RawChunk[]): void {
    this.masker.mask(this.tracker.takeMasked());
    this.saslMessage ||= this.clientMode === 'sasl';
    const pending = this.c2s.pendingSyncLiteral;
    const refusable =
      pending !== null && pending.received <= LITERAL_PREVIEW_BYTES ? pending.received : null;
    this.release(this.masker.take(data, { sasl: this.saslMessage, refusable }), at, raw);
  }

  private release(out: Buffer[], at: number, raw: RawChunk[]): void {
    for (const data of out) raw.push({ session: this.session, direction: 'c2s', at, data });
  }

  /** See SessionInspector.gap. */
  gap(
    direction: Direction,
    droppedChunks: number,
    droppedBytes: number,
    at = Date.now(),
  ): PipelineOutput {
    const raw: RawChunk[] = [];
    // The message in progress is lost with the decoder's state: its held bytes go masked whole.
    if (direction === 'c2s') this.release(this.masker.restart(), at, raw);
    // The bytes after the hole start mid-message (often inside a literal): restart that
    // direction's decoder and skip what does not decode until a message does. The gap event
    // stands for all of it, rather than a Malformed event per line of someone's attachment.
    const decoder = direction === 'c2s' ? this.c2s : this.s2c;
    decoder.restart();
    if (direction === 's2c') this.s2cFed = 0;
    if (direction === 'c2s') {
      decoder.setMode(this.clientMode);
      this.announced = -1;
    }
    this.resyncing[direction] = true;
    this.tracker.gap(direction, droppedChunks, droppedBytes, at);
    return { events: this.tracker.take(), raw };
  }

  /** A transport change or notice from the net layer (see SessionInspector.transport). */
  transport(event: TransportEvent): PipelineOutput {
    this.tracker.transport(event);
    return { events: this.tracker.take(), raw: [] };
  }

  /**
   * The streams ended: a message cut short becomes Malformed (unless decoding was paused), and
   * the client bytes still held go out (masked as that message is, or whole).
   */
  end(at: number): PipelineOutput {
    const raw: RawChunk[] = [];
    if (!this.closed && !this.tracker.opaque) {
      this.feed(this.c2s.end(), at);
      this.feed(this.s2c.end(), at);
      this.masker.mask(this.tracker.takeMasked());
    }
    this.release(this.masker.flush(), at, raw);
    this.closed = true;
    return { events: this.tracker.take(), raw };
  }

  /** The session closed: aborted exchanges and session.close. Call after {@link end}. */
  close(info: CloseInfo, at: number): PipelineOutput {
    // end()'s events (a command cut short) come first; dropping them would orphan its exchange.
    const out: PipelineOutput = this.closed ? { events: [], raw: [] } : this.end(at);
    this.tracker.close(info, at);
    out.events.push(...this.tracker.take());
    return out;
  }

  /**
   * Feeds decoded messages to the tracker. With `stopAtSwitch`, returns at the first message
   * of direction `cutIn` that switched the transport (the rest are not this transport's bytes):
   * where it ended and the switch. A switch by a message of the other direction (a client
   * command replayed after a refused literal) ends nothing: its bytes were decoded already.
   */
  private feed(messages: Message[], at: number, cutIn: Direction | null = null): SwitchAt | null {
    const t = this.tracker;
    for (const m of messages) {
      if (t.opaque) return null;
      if (this.resyncing[m.direction]) {
        if (m.type === 'malformed') {
          if (m.direction === 'c2s') this.skipped(m);
          continue;
        }
        this.resyncing[m.direction] = false;
      }
      const pending = this.c2s.pendingSyncLiteral;
      if (m.type === 'tagged' && pending !== null && this.answersSending(m.tag, m.status)) {
        // The server completed the command whose literal the client is announcing, instead of
        // sending `+`: the literal never comes, the command ends at its marker.
        this.feed(this.c2s.refuseLiteral(), at);
      }
      this.one(m, at);
      const switched = t.transportSwitch;
      if (switched !== null && m.direction === cutIn && this.stopAtSwitch)
        return { end: m.offset + m.length, switch: switched };
      if (m.type === 'continuation' && pending?.size === 0) {
        // A `{0}` has no body to wait for: the `+` completes it (the tracker holds the `+` first).
        this.feed(this.c2s.acceptLiteral(), at);
      }
    }
    this.announce(at);
    return null;
  }

  /** Whether a tagged completion is for the command the client is still sending. */
  private answersSending(tag: string, status: string): boolean {
    const sending = this.tracker.sendingTag;
    // Without a readable first line, a NO/BAD for a tag nobody waits for is the best guess.
    return sending !== null ? sending === tag : status !== 'OK' && !this.tracker.isInFlight(tag);
  }

  /** Registers the client command whose first line was read and whose rest is still coming. */
  private announce(at: number): void {
    if (this.tracker.opaque) return;
    const head = this.c2s.pendingCommand;
    if (head === null || head.offset === this.announced) return;
    this.announced = head.offset;
    this.tracker.commandStarted(head, at);
  }

  /** A client message skipped after a gap: its bytes are masked as the tracker would have. */
  private skipped(m: Malformed): void {
    if (!this.reveal) {
      const spans: MaskSpan[] = [];
      redactMalformedClient(m, this.clientMode === 'sasl', spans);
      this.masker.mask(spans);
    }
    this.masker.completed(m.offset + m.length);
  }

  private one(m: Message, at: number): void {
    this.tracker.message(m, at);
    if (m.direction === 'c2s') this.masker.completed(m.offset + m.length);
    const mode = this.tracker.clientMode;
    if (mode !== this.clientMode) {
      this.clientMode = mode;
      this.c2s.setMode(mode);
    }
  }
}

/** A transport switch and the stream offset just past the message that made it. */
interface SwitchAt {
  end: number;
  switch: TransportSwitch;
}

/**
 * Bytes of one direction as they crossed the relay, after masking (secrets masked, same
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
  /** See PipelineOptions.hashLiterals. */
  hashLiterals?: boolean;
  tls?: boolean;
  /** Inspection restarted while the session was open: continue after this seq, no session.open. */
  resume?: { afterSeq: number };
  /** See PipelineOptions.stopAtSwitch (a TransportFollower stands in front). */
  stopAtSwitch?: boolean;
}

/** The relay's inspector plus the session.close hook the application calls with the summary. */
export interface TrackingInspector extends SessionInspector {
  /**
   * See SessionInspector.chunks; with `stopAtSwitch`, returns where a transport switch ended
   * the batch's plaintext (the bytes from there were not taken), else null.
   */
  chunks(batch: readonly TapChunk[]): TransportBoundary | null;
  /** Publishes session.close with the relay's figures (bytes, reason); once. */
  closed(info: CloseInfo): void;
}

/** A SessionInspector publishing one session's events and masked raw bytes to the hub. */
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
    hashLiterals: options.hashLiterals,
    tls: options.tls,
    stopAtSwitch: options.stopAtSwitch,
    ...(options.resume ? { resumed: true, afterSeq: options.resume.afterSeq } : {}),
  });
  const hub = options.hub;
  const send = (out: PipelineOutput): void => {
    hub.publish(out.events);
    // Masked already; synchronously, since the bytes may be the relay's lent chunk memory.
    if (out.raw.length > 0) hub.raw(out.raw);
  };
  let done = false;
  send(pipeline.push([]));
  return {
    chunks(batch) {
      const out = pipeline.push(batch);
      send(out);
      return out.boundary ?? null;
    },
    gap(direction, droppedChunks, droppedBytes, at) {
      send(pipeline.gap(direction, droppedChunks, droppedBytes, at));
    },
    transport(event) {
      send(pipeline.transport(event));
    },
    close() {
      send(pipeline.end(Date.now()));
    },
    closed(closeInfo) {
      if (done) return;
      done = true;
      send(pipeline.close(closeInfo, Date.now()));
    },
  };
}
