/**
 * The framer: one per direction, sans-I/O. Fed chunks split at any byte, it finds where each
 * IMAP message (a line plus the literals it announces, plus the lines after them) begins and
 * ends, before any grammar runs (DESIGN.md rule 2). Literal bodies are skipped by count: only a
 * bounded preview is copied (and, with `hashLiterals`, the body streams through a sha256);
 * nothing per framer grows with the input.
 */
import { createHash } from 'node:crypto';
import type { Direction } from '../../shared/direction.ts';
import type {
  Frame,
  FramerMode,
  FramerOptions,
  LiteralState,
  Pending,
  RefusedLiteral,
} from './frame.ts';
import { LITERAL_PREVIEW_BYTES, MAX_LINE_BYTES, MAX_MESSAGE_BYTES } from '../limits.ts';
import { findLiteralMarker, isStatusOrContinuation } from './marker.ts';

export type { Frame, FramedLiteral, FramerMode, FramerOptions, RefusedLiteral } from './frame.ts';

const LF = 0x0a;
const CR = 0x0d;
/** Bytes charged per kept line or literal, so many empty parts still count against the cap. */
const PART_OVERHEAD = 64;
/** Bytes of an overlong line's end kept to find a literal marker there. */
const TAIL_BYTES = 32;

/**
 * Streaming IMAP framer for one direction.
 *
 * Boundaries: a line of exactly `maxLineBytes` bytes (line end excluded) is kept whole; one byte
 * more and the frame has `lineTooLong` and the line is skipped to its LF. A literal's preview is
 * its first `previewBytes` bytes. On s2c, a status response (`tag OK|NO|BAD|BYE|PREAUTH ...`)
 * or a continuation (`+ ...`) never announces a literal: their text may end in `{4}` (the
 * grammar has no literal there). A `{n}` inside an unterminated quoted string is not a literal.
 */
export class Framer {
  readonly direction: Direction;
  private mode: FramerMode = 'normal';
  private readonly maxLine: number;
  private readonly previewCap: number;
  private readonly maxMessage: number;
  private readonly hashLiterals: boolean;
  /** Stream offset of the next byte to consume. */
  private pos = 0;
  private lineStart = 0;
  private parts: Buffer[] = [];
  /** How many of `parts` are owned copies (the rest point into the current chunk). */
  private partsOwned = 0;
  private stored = 0;
  private lineLen = 0;
  private lastByte = -1;
  private tail: Buffer | null = null;
  private msg: Pending | null = null;
  private lit: LiteralState | null = null;
  /**
   * c2s bytes that arrived while a zero-length sync literal waits for the server's answer: they
   * cannot be its body, and whether they continue its command (after `+`) or start the next one
   * (after a refusal) is not known yet. Bounded by the preview cap, like a refused body's replay.
   */
  private held: Buffer[] = [];
  private heldBytes = 0;

  /**
   * @param startAt stream offset of the first byte pushed (a framer restarted where the stream
   *   goes on, as after a transport change at a message's end); frames' offsets count from it
   */
  constructor(direction: Direction, options: FramerOptions = {}, startAt = 0) {
    this.direction = direction;
    this.pos = this.lineStart = startAt;
    this.maxLine = options.maxLineBytes ?? MAX_LINE_BYTES;
    this.previewCap = options.previewBytes ?? LITERAL_PREVIEW_BYTES;
    this.maxMessage = options.maxMessageBytes ?? MAX_MESSAGE_BYTES;
    this.hashLiterals = options.hashLiterals ?? false;
  }

  /**
   * Sets the mode for the lines that follow (the tracker calls it between pushes). It takes
   * effect at the next line; a literal being read is finished first.
   */
  setMode(mode: FramerMode): void {
    this.mode = mode;
  }

  /** The current mode (`idle` turns back into `normal` by itself after one line). */
  getMode(): FramerMode {
    return this.mode;
  }

  /**
   * The c2s sync literal `{n}` / `~{n}` the framer is waiting for, or null. Waiting is the
   * default: the client only sends the body after the server's `+`, and if the server answers
   * the command's tag instead, the tracker calls {@link refuseLiteral}. A zero-length `{0}` waits
   * too (DESIGN.md rule 4) until {@link acceptLiteral} or {@link refuseLiteral}: completing it at
   * once would glue the client's next command onto a command the server refused.
   * `received` counts the bytes a refusal would frame again: the body taken so far, or the
   * bytes held behind a waiting `{0}` (the raw masker holds them back until then: one of them
   * may be the next LOGIN).
   */
  get pendingSyncLiteral(): { size: number; literal8: boolean; received: number } | null {
    const lit = this.lit;
    if (lit === null || lit.kind !== 'sync' || this.direction !== 'c2s') return null;
    return { size: lit.size, literal8: lit.literal8, received: lit.received + this.heldBytes };
  }

  /**
   * The start of the c2s message in progress in normal mode, once it is known to be a message
   * whose rest has not come: its first line announced a literal (the line itself), or that line
   * is still being read past the line cap (its first bytes, at most 256). Null otherwise: a
   * line still shorter than the cap may be any partial line. The tracker registers the command
   * from it, so a reply that comes before the rest pairs with it.
   */
  get pendingHead(): { offset: number; line: Buffer } | null {
    if (this.direction !== 'c2s') return null;
    const msg = this.msg;
    if (msg !== null) {
      const first = msg.lines[0];
      return msg.mode === 'normal' && first !== undefined
        ? { offset: msg.offset, line: first }
        : null;
    }
    if (this.mode !== 'normal' || this.stored <= this.maxLine) return null;
    return { offset: this.lineStart, line: firstBytes(this.parts, 256) };
  }

  /** Bytes this framer holds right now (line parts, kept message parts, literal preview). */
  get bufferedBytes(): number {
    return (
      this.heldBytes +
      this.stored +
      (this.tail?.length ?? 0) +
      (this.msg?.kept ?? 0) +
      (this.lit?.preview.length ?? 0)
    );
  }

  /**
   * Tells the c2s framer that the server refused the pending sync literal (tagged NO/BAD instead
   * of `+`): the message ends at the literal's marker and is returned with `refusedLiteral` set,
   * and bytes already taken as the body (at most the preview cap of them) are framed again as
   * new lines. No-op returning `[]` when no sync literal is pending (or on s2c).
   */
  refuseLiteral(): Frame[] {
    const lit = this.lit;
    const msg = this.msg;
    if (lit === null || msg === null || lit.kind !== 'sync' || this.direction !== 'c2s') return [];
    this.lit = null;
    const replay =
      lit.received <= lit.preview.length ? lit.preview.subarray(0, lit.received) : null;
    if (replay !== null) this.pos -= lit.received;
    const out: Frame[] = [];
    this.emit(out, { literal8: lit.literal8, size: lit.size, markerStart: lit.markerStart }, false);
    this.lineStart = this.pos;
    if (replay !== null && replay.length > 0) this.pushInto(Buffer.from(replay), out);
    this.releaseHeld(out);
    return out;
  }

  /**
   * Tells the c2s framer that the server sent `+`: a pending zero-length sync literal is complete
   * (it has no body to wait for) and the bytes held behind it are framed as the rest of its
   * command. Returns the messages that completes; `[]` when no `{0}` is pending (a non-empty
   * literal completes with its body, whatever the server says).
   */
  acceptLiteral(): Frame[] {
    const lit = this.lit;
    if (lit === null || lit.size !== 0 || lit.kind !== 'sync' || this.direction !== 'c2s')
      return [];
    const out: Frame[] = [];
    this.completeLiteral();
    this.releaseHeld(out);
    return out;
  }

  /**
   * Feeds the next chunk of the stream and returns the messages it completed, in order. Never
   * throws on any input. The chunk may be reused by the caller after this returns.
   */
  push(chunk: Buffer): Frame[] {
    const out: Frame[] = [];
    this.pushInto(chunk, out);
    return out;
  }

  /**
   * The stream ended: returns the message in progress, if any, with `incomplete` set (a partial
   * line becomes its last line), and resets the framer for a new stream at the current offset.
   */
  end(): Frame[] {
    const out: Frame[] = [];
    if (this.heldBytes > 0) {
      this.completeLiteral();
      this.releaseHeld(out);
    }
    if (this.lit !== null) this.completeLiteral();
    if (this.lineLen > 0) {
      const line = this.takeLine();
      this.beginMessage();
      this.keepLine(line);
    }
    if (this.msg !== null) this.emit(out, null, true);
    this.lineStart = this.pos;
    return out;
  }

  private pushInto(chunk: Buffer, out: Frame[]): void {
    let p = 0;
    const len = chunk.length;
    while (p < len) {
      const lit = this.lit;
      if (lit !== null && lit.size === 0) {
        // Only a zero-length sync literal is still open at size 0 (see finishLine).
        this.hold(chunk.subarray(p), out);
        break;
      }
      if (lit !== null) {
        const take = Math.min(lit.size - lit.received, len - p);
        const body = chunk.subarray(p, p + take);
        if (lit.hash !== null) lit.hash.update(body);
        if (lit.received < lit.preview.length) body.copy(lit.preview, lit.received);
        lit.received += take;
        p += take;
        this.pos += take;
        if (lit.received === lit.size) this.completeLiteral();
        continue;
      }
      const lf = chunk.indexOf(LF, p);
      if (lf === -1) {
        this.appendLine(chunk.subarray(p));
        this.pos += len - p;
        break;
      }
      this.appendLine(chunk.subarray(p, lf));
      this.pos += lf - p + 1;
      p = lf + 1;
      this.finishLine(out);
    }
    this.ownPending();
  }

  private appendLine(part: Buffer): void {
    if (part.length === 0) return;
    this.lastByte = part[part.length - 1] ?? -1;
    const room = this.maxLine + 1 - this.stored;
    if (room >= part.length) {
      this.parts.push(part);
      this.stored += part.length;
    } else {
      if (room > 0) {
        this.parts.push(part.subarray(0, room));
        this.stored += room;
      }
      const prev = this.tail ?? lastBytes(this.parts, TAIL_BYTES);
      this.tail = Buffer.concat([prev, part.subarray(Math.max(0, part.length - TAIL_BYTES))]);
      if (this.tail.length > TAIL_BYTES) this.tail = this.tail.subarray(-TAIL_BYTES);
    }
    this.lineLen += part.length;
  }

  /** The line assembled so far, CR stripped, capped; resets line state. */
  private takeLine(): { content: Buffer; tail: Buffer | null; crlf: boolean; tooLong: boolean } {
    const crlf = this.lastByte === CR;
    const contentLen = this.lineLen - (crlf ? 1 : 0);
    const joined =
      this.parts.length === 1 ? (this.parts[0] as Buffer) : Buffer.concat(this.parts, this.stored);
    const tooLong = contentLen > this.maxLine;
    const content = joined.subarray(0, Math.min(contentLen, this.maxLine));
    const tail = this.tail === null ? null : crlf ? this.tail.subarray(0, -1) : this.tail;
    this.parts = [];
    this.partsOwned = 0;
    this.stored = 0;
    this.lineLen = 0;
    this.lastByte = -1;
    this.tail = null;
    return { content, tail, crlf, tooLong };
  }

  private beginMessage(): Pending {
    if (this.msg === null) {
      this.msg = {
        offset: this.lineStart,
        mode: this.mode,
        lines: [],
        literals: [],
        kept: 0,
        owned: 0,
        bareLf: false,
        lineTooLong: false,
        tooLong: false,
      };
    }
    return this.msg;
  }

  private keepLine(line: { content: Buffer; crlf: boolean; tooLong: boolean }): void {
    const msg = this.beginMessage();
    if (!line.crlf) msg.bareLf = true;
    if (line.tooLong) msg.lineTooLong = true;
    if (msg.tooLong) return;
    const cost = line.content.length + PART_OVERHEAD;
    if (msg.kept + cost > this.maxMessage) {
      msg.tooLong = true;
      return;
    }
    msg.kept += cost;
    msg.lines.push(line.content);
  }

  private finishLine(out: Frame[]): void {
    const line = this.takeLine();
    const first = this.msg === null;
    const msg = this.beginMessage();
    this.keepLine(line);
    const source = line.tooLong ? line.tail : line.content;
    const marker =
      msg.mode !== 'normal' ||
      source === null ||
      (first && this.direction === 's2c' && isStatusOrContinuation(line.content))
        ? null
        : findLiteralMarker(source, !line.tooLong);
    if (this.mode === 'idle') this.mode = 'normal';
    if (marker === null) {
      this.emit(out, null, false);
      this.lineStart = this.pos;
      return;
    }
    this.lit = {
      kind: marker.kind,
      literal8: marker.literal8,
      size: marker.size,
      offset: this.pos,
      markerStart: line.tooLong ? -1 : marker.start,
      received: 0,
      hash: msg.tooLong || !this.hashLiterals ? null : createHash('sha256'),
      preview: Buffer.allocUnsafe(Math.min(marker.size, this.previewCap)),
    };
    // A `{0}` from the client waits for the server like any sync literal (see pendingSyncLiteral).
    if (marker.size === 0 && (marker.kind !== 'sync' || this.direction !== 'c2s')) {
      this.completeLiteral();
    }
  }

  /**
   * Keeps c2s bytes behind a waiting `{0}`. Past the preview cap the client evidently did not
   * wait: the literal is taken as sent and the bytes framed, as for a late refusal of a body
   * longer than its preview.
   */
  private hold(bytes: Buffer, out: Frame[]): void {
    if (bytes.length === 0) return;
    this.held.push(Buffer.from(bytes));
    this.heldBytes += bytes.length;
    if (this.heldBytes > this.previewCap) {
      this.completeLiteral();
      this.releaseHeld(out);
    }
  }

  /** Frames the bytes {@link hold} kept, now that their place in the stream is known. */
  private releaseHeld(out: Frame[]): void {
    if (this.heldBytes === 0) return;
    const bytes = Buffer.concat(this.held, this.heldBytes);
    this.held = [];
    this.heldBytes = 0;
    this.pushInto(bytes, out);
  }

  private completeLiteral(): void {
    const lit = this.lit;
    const msg = this.msg;
    this.lit = null;
    this.lineStart = this.pos;
    if (lit === null || msg === null || msg.tooLong) return;
    const cost = lit.preview.length + PART_OVERHEAD;
    if (msg.kept + cost > this.maxMessage) {
      msg.tooLong = true;
      return;
    }
    msg.kept += cost;
    const preview =
      lit.received < lit.preview.length ? lit.preview.subarray(0, lit.received) : lit.preview;
    msg.literals.push({
      kind: lit.kind,
      literal8: lit.literal8,
      size: lit.size,
      offset: lit.offset,
      markerStart: lit.markerStart,
      sha256: lit.hash?.digest('hex') ?? null,
      preview,
    });
  }

  private emit(out: Frame[], refused: RefusedLiteral | null, incomplete: boolean): void {
    const msg = this.msg;
    if (msg === null) return;
    this.msg = null;
    out.push({
      direction: this.direction,
      mode: msg.mode,
      offset: msg.offset,
      length: this.pos - msg.offset,
      lines: msg.lines,
      literals: msg.literals,
      bareLf: msg.bareLf,
      lineTooLong: msg.lineTooLong,
      messageTooLong: msg.tooLong,
      refusedLiteral: refused,
      incomplete,
    });
  }

  /** A message or line left open at the end of a push must not pin the caller's chunk. */
  private ownPending(): void {
    const msg = this.msg;
    if (msg !== null) {
      for (let i = msg.owned; i < msg.lines.length; i++) {
        msg.lines[i] = Buffer.from(msg.lines[i] as Buffer);
      }
      msg.owned = msg.lines.length;
    }
    const parts = this.parts;
    if (parts.length > 32) {
      this.parts = [Buffer.concat(parts, this.stored)];
    } else {
      for (let i = this.partsOwned; i < parts.length; i++)
        parts[i] = Buffer.from(parts[i] as Buffer);
    }
    this.partsOwned = this.parts.length;
  }
}

function firstBytes(parts: Buffer[], n: number): Buffer {
  const take: Buffer[] = [];
  let have = 0;
  for (const part of parts) {
    if (have >= n) break;
    take.push(part);
    have += part.length;
  }
  return Buffer.concat(take).subarray(0, n);
}

function lastBytes(parts: Buffer[], n: number): Buffer {
  const all = Buffer.concat(parts);
  return all.subarray(Math.max(0, all.length - n));
}
