/**
 * One direction's framer and decoder together: what the proxy calls per tap chunk.
 */
import type { Direction } from '../../shared/direction.ts';
import type { Message } from '../../shared/messages.ts';
import { type CommandHead, commandHead } from './command.ts';
import { decodeFrame } from './decode.ts';
import { type Frame, Framer, type FramerMode, type FramerOptions } from './framer.ts';

/**
 * Decodes one direction of an IMAP session. Never throws; memory is bounded by the framer's
 * caps whatever the input. On s2c the first message is decoded as the greeting.
 */
export class WireDecoder {
  readonly direction: Direction;
  private framerNow: Framer;
  private greetingPending: boolean;
  private headOffset = -1;
  private head: CommandHead | null = null;

  constructor(
    direction: Direction,
    private readonly options: FramerOptions = {},
  ) {
    this.direction = direction;
    this.framerNow = new Framer(direction, options);
    this.greetingPending = direction === 's2c';
  }

  get framer(): Framer {
    return this.framerNow;
  }

  /**
   * Forgets the message in progress (after a hole in the stream, or bytes it was fed past a
   * transport change): the next byte starts a new line in normal mode at stream offset `at`
   * (default 0), and on s2c it is not taken for the greeting.
   */
  restart(at = 0): void {
    this.framerNow = new Framer(this.direction, this.options, at);
    this.greetingPending = false;
    this.headOffset = -1;
  }

  /** Feeds a chunk; returns the messages it completed, in stream order. */
  push(chunk: Buffer): Message[] {
    return this.decodeAll(this.framer.push(chunk));
  }

  /** The stream ended: the message in progress (if any) as Malformed ERR_WIRE_INCOMPLETE. */
  end(): Message[] {
    return this.decodeAll(this.framer.end());
  }

  /** See {@link Framer.setMode}: `sasl` during AUTHENTICATE, `idle` once IDLE's `+` came, else `normal`. */
  setMode(mode: FramerMode): void {
    this.framer.setMode(mode);
  }

  /** See {@link Framer.refuseLiteral}: the server answered NO/BAD instead of `+`. */
  refuseLiteral(): Message[] {
    return this.decodeAll(this.framer.refuseLiteral());
  }

  /** See {@link Framer.acceptLiteral}: the server sent `+` while a `{0}` was pending. */
  acceptLiteral(): Message[] {
    return this.decodeAll(this.framer.acceptLiteral());
  }

  /**
   * The tag and name of the c2s command whose first line was read and whose rest has not come
   * (see {@link Framer.pendingHead}), or null. Decoded once per command.
   */
  get pendingCommand(): CommandHead | null {
    const head = this.framer.pendingHead;
    if (head === null) return null;
    if (head.offset !== this.headOffset) {
      this.headOffset = head.offset;
      this.head = commandHead(head.line.toString('latin1'), head.offset);
    }
    return this.head;
  }

  /** See {@link Framer.pendingSyncLiteral}. */
  get pendingSyncLiteral(): { size: number; literal8: boolean; received: number } | null {
    return this.framer.pendingSyncLiteral;
  }

  private decodeAll(frames: Frame[]): Message[] {
    const out: Message[] = new Array<Message>(frames.length);
    for (let i = 0; i < frames.length; i++) {
      const greeting = this.greetingPending;
      this.greetingPending = false;
      out[i] = decodeFrame(frames[i] as Frame, { greeting });
    }
    return out;
  }
}
