/**
 * The raw side of credential masking (DESIGN.md rule 6): decides when each client byte may be
 * written to the archive and what of it is masked, from what the session layer decided, before
 * anything is written. Sans-I/O: the pipeline hands it each client chunk right after feeding it
 * to the decoder, with the facts of that moment, and gets back the bytes that may go.
 *
 * - Bytes of complete messages go at once, masked by the tracker's {@link MaskSpan}s.
 * - Bytes of the message in progress go as they stream once its start shows it is no LOGIN or
 *   AUTHENTICATE (and no SASL line), so a 50 MB APPEND literal is never held; the first bytes
 *   of a sync literal the server may still refuse are held, since the framer would then frame
 *   them again as new commands.
 * - Bytes of a message that may hold a secret are held until it completes; past
 *   {@link RAW_REDACT_HOLD_BYTES} they go masked whole, and so does the rest of that message.
 *
 * Output keeps every length, so event offsets still point at the right bytes. Offsets are those
 * of the client decoder (bytes fed to it since it started or restarted).
 */
import { RAW_REDACT_HOLD_BYTES } from '../limits.ts';
import { classifyHead, HEAD_BYTES, type MaskSpan } from './redact.ts';

const STAR = 0x2a;
const CR = 0x0d;
const LF = 0x0a;
/** Released held bytes and a chunk's part up to this size are joined into one buffer. */
const JOIN_BYTES = 16 * 1024;

/** What the pipeline knows of the client message in progress, right after a feed. */
export interface InProgress {
  /** The message began or ran while the client was in SASL mode: it is a secret line. */
  sasl: boolean;
  /**
   * Bytes already taken as the body of a sync literal the server may still refuse (the framer
   * then frames them again as lines), or null when there is no such literal.
   */
  refusable: number | null;
}

interface Span extends MaskSpan {
  /** Masked whole, line ends kept (an early release, not the tracker's exact span). */
  whole?: boolean;
}

export class RawMasker {
  /** Offset after the last byte taken. */
  private fed = 0;
  /** Bytes before this offset have been handed out. */
  private released = 0;
  /** Owned copies of [released, fed). */
  private held: Buffer[] = [];
  /** End of the last complete message: the message in progress starts here. */
  private complete = 0;
  private spans: Span[] = [];
  /** What the start of the message in progress says, once it says something. */
  private head: 'secret' | 'public' | null = null;
  /** The message in progress is being released masked whole from this offset on. */
  private wholeFrom: number | null = null;

  constructor(private readonly reveal: boolean) {}

  /** Start of the client message in progress (the end of the last complete one). */
  get messageStart(): number {
    return this.complete;
  }

  /** Client bytes taken so far (the decoder's offset of the next byte). */
  get fedBytes(): number {
    return this.fed;
  }

  /** A client message ended at `end` (its offset + length). */
  completed(end: number): void {
    if (end <= this.complete) return;
    if (this.wholeFrom !== null) {
      this.spans.push({ offset: this.wholeFrom, length: end - this.wholeFrom, whole: true });
      this.wholeFrom = null;
    }
    this.complete = end;
    this.head = null;
  }

  /** Spans the tracker masked in its events ({@link SessionTracker.takeMasked}). */
  mask(spans: readonly MaskSpan[]): void {
    for (const s of spans) if (s.length > 0) this.spans.push(s);
  }

  /**
   * Takes `chunk`, just fed to the decoder (empty after a feed of the other direction), and
   * returns the client bytes that may be written now, in order. They may share memory with
   * `chunk`: write them before the chunk's buffer is reused.
   */
  take(chunk: Buffer, now: InProgress): Buffer[] {
    const start = this.fed;
    this.fed += chunk.length;
    return this.release(this.reveal ? this.fed : this.limit(chunk, now), chunk, start);
  }

  /**
   * Everything held goes (the stream ended, inspection lost sync, or the bytes stopped being
   * decoded): what no complete message decided is masked whole, and so is the rest of the
   * message in progress, should it go on.
   */
  flush(): Buffer[] {
    if (!this.reveal && this.fed > this.complete && this.wholeFrom === null) {
      this.wholeFrom = Math.max(this.complete, this.released);
    }
    return this.release(this.fed, EMPTY, this.fed);
  }

  /** {@link flush}, then offsets start again at 0 (the decoder restarted after a gap). */
  restart(): Buffer[] {
    const out = this.flush();
    this.fed = this.released = this.complete = 0;
    this.spans = [];
    this.head = null;
    this.wholeFrom = null;
    return out;
  }

  /** Bytes a client chunk that is not decoded may show: all of it masked but its line ends. */
  static maskedWhole(data: Uint8Array): Buffer {
    const out = Buffer.from(data);
    for (let i = 0; i < out.length; i++) if (out[i] !== CR && out[i] !== LF) out[i] = STAR;
    return out;
  }

  /** How far the bytes may go now. */
  private limit(chunk: Buffer, now: InProgress): number {
    const from = Math.max(this.complete, this.released);
    if (this.fed <= this.complete || this.wholeFrom !== null) return this.fed;
    const head = now.sasl ? 'secret' : this.classify(chunk);
    if (head === 'public') {
      return now.refusable === null ? this.fed : Math.max(from, this.fed - now.refusable);
    }
    if (this.fed - from > RAW_REDACT_HOLD_BYTES) {
      this.wholeFrom = from;
      return this.fed;
    }
    return this.complete;
  }

  private classify(chunk: Buffer): 'secret' | 'public' | 'unknown' {
    if (this.head !== null) return this.head;
    // The start of the message in progress went out already (masked whole by flush).
    if (this.complete < this.released) return 'secret';
    const parts = [...this.held, chunk];
    let skip = this.complete - this.released;
    const head: Buffer[] = [];
    let room = HEAD_BYTES;
    for (const p of parts) {
      if (skip >= p.length) {
        skip -= p.length;
        continue;
      }
      if (room <= 0) break;
      const part = p.subarray(skip, skip + room);
      head.push(part);
      room -= part.length;
      skip = 0;
    }
    const verdict = classifyHead(head.length === 1 ? (head[0] as Buffer) : Buffer.concat(head));
    if (verdict !== 'unknown') this.head = verdict;
    return verdict;
  }

  /** Hands out [released, limit): held bytes, then the chunk's part, masked where needed. */
  private release(limit: number, chunk: Buffer, start: number): Buffer[] {
    if (limit <= this.released) {
      if (chunk.length > 0) this.held.push(Buffer.from(chunk));
      return [];
    }
    const out: Buffer[] = [];
    const heldBytes = start - this.released;
    if (heldBytes > 0) {
      const all = this.held.length === 1 ? (this.held[0] as Buffer) : Buffer.concat(this.held);
      const upTo = Math.min(limit, start) - this.released;
      const joinChunk = limit > start && limit - start <= JOIN_BYTES;
      const first = joinChunk
        ? Buffer.concat([all, chunk.subarray(0, limit - start)])
        : all.subarray(0, upTo);
      this.maskInPlace(first, this.released);
      out.push(first);
      this.held = upTo < all.length ? [all.subarray(upTo)] : [];
      if (limit > start && !joinChunk)
        out.push(this.masked(chunk.subarray(0, limit - start), start));
    } else {
      out.push(this.masked(chunk.subarray(0, limit - start), start));
    }
    if (limit < start + chunk.length) {
      const keep = chunk.subarray(Math.max(0, limit - start));
      this.held.push(Buffer.from(keep));
    }
    this.released = limit;
    if (this.spans.length > 0) this.spans = this.spans.filter((s) => s.offset + s.length > limit);
    return out;
  }

  /** `part` (lent) as it may be written: itself, or a masked copy when a mask touches it. */
  private masked(part: Buffer, offset: number): Buffer {
    if (!this.touches(offset, offset + part.length)) return part;
    const copy = Buffer.from(part);
    this.maskInPlace(copy, offset);
    return copy;
  }

  private touches(from: number, to: number): boolean {
    if (this.wholeFrom !== null && this.wholeFrom < to) return true;
    return this.spans.some((s) => s.offset < to && s.offset + s.length > from);
  }

  private maskInPlace(buf: Buffer, offset: number): void {
    const end = offset + buf.length;
    const all: Span[] =
      this.wholeFrom === null
        ? this.spans
        : [...this.spans, { offset: this.wholeFrom, length: end - this.wholeFrom, whole: true }];
    for (const s of all) {
      const a = Math.max(s.offset, offset) - offset;
      const b = Math.min(s.offset + s.length, end) - offset;
      if (a >= b) continue;
      if (!s.whole) buf.fill(STAR, a, b);
      else for (let i = a; i < b; i++) if (buf[i] !== CR && buf[i] !== LF) buf[i] = STAR;
    }
  }
}

const EMPTY = Buffer.alloc(0);
