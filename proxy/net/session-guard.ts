import type { Socket } from 'node:net';
import type { Direction } from '../../shared/direction.ts';
import { KEEPALIVE_MS } from '../limits.ts';

/** The per-session limits the relay enforces (from --idle-timeout); absent: none. */
export interface SessionLimits {
  /** Close the session after this long without a byte in either direction; 0: never. */
  idleTimeoutMs: number;
  keepAliveMs?: number;
}

/** Bytes kept from a line that continues in the next chunk: enough for a `{n+}` at its end. */
const TAIL_BYTES = 24;
const LF = 0x0a;
const CR = 0x0d;
const EMPTY = Buffer.alloc(0);
const LITERAL_END = Buffer.from('}\r\n');

/** Bytes kept of a client message's start: its tag, `UID` and command name. */
const HEAD_BYTES = 40;

/**
 * Where one direction's bytes stand: at the end of a whole line, or inside one (a partial
 * line, a literal being sent, the rest of a line after a literal). Deliberately rough: it
 * only counts `{n}` / `{n+}` / `~{n}` literals announced at the end of a line, which is all it
 * needs to tell "a BYE here would not split anything". It runs on the relay's forwarding path,
 * so it looks at bytes, not strings, and skips literal bytes by count. The client's direction
 * is read line by line (its command names are watched: STARTTLS, COMPRESS); the server's, which
 * carries the bulk, only from one literal announcement to the next.
 *
 * This is the relay thread's one IMAP scan, and it cannot move to the inspection thread (issue
 * 12): a BYE is placed among the bytes written to the client's socket by now, which inspection
 * (behind the outbox, perhaps restarting) may not have read yet, and a COMPRESS or STARTTLS
 * must stop it before the first byte that is no longer plaintext, not when inspection says so.
 */
export class LineBoundary {
  private literalLeft = 0;
  /** The last bytes of the current line when it began in an earlier chunk. */
  private tail: Buffer = EMPTY;
  private open = false;
  /** The first bytes of the current message, when watching commands; `headLen` of them are set. */
  private head: Buffer = EMPTY;
  private headLen = 0;
  /** The same of the last complete message (swapped with `head` when a message ends). */
  private last: Buffer = EMPTY;
  private lastLen = 0;
  /**
   * A complete client message was STARTTLS or COMPRESS (`watchCommands`): the bytes after it
   * may not be plaintext. Stays set.
   */
  transportAsked = false;

  constructor(private readonly watchCommands = false) {
    if (watchCommands) {
      this.head = Buffer.allocUnsafe(HEAD_BYTES);
      this.last = Buffer.allocUnsafe(HEAD_BYTES);
    }
  }

  /**
   * The command name (after the tag and UID, upper-cased) of the last complete line, or '';
   * with `watchCommands`.
   */
  get lastCommand(): string {
    const [from, to] = commandName(this.last, this.lastLen);
    return this.last.toString('latin1', from, to).toUpperCase();
  }

  feed(data: Buffer): void {
    let i = 0;
    while (i < data.length) {
      if (this.literalLeft > 0) {
        const n = Math.min(this.literalLeft, data.length - i);
        this.literalLeft -= n;
        i += n;
      } else if (this.watchCommands || (this.open && this.tail.length > 0)) {
        i = this.line(data, i);
      } else {
        i = this.toNextLiteral(data, i);
      }
    }
  }

  /** True when the last byte ended a line that announced no literal. */
  get atBoundary(): boolean {
    return !this.open && this.literalLeft === 0;
  }

  /** One line from `i`; returns where the next starts (data.length if it goes on in the next chunk). */
  private line(data: Buffer, i: number): number {
    const nl = data.indexOf(LF, i);
    const end = nl < 0 ? data.length : nl;
    if (this.watchCommands) {
      if (!this.open) this.headLen = 0;
      const n = Math.min(end - i, HEAD_BYTES - this.headLen);
      if (n > 0) this.headLen += data.copy(this.head, this.headLen, i, i + n);
    }
    if (nl < 0) {
      this.keepTail(data, i);
      this.open = true;
      return data.length;
    }
    const literal =
      data[nl - 1] === 0x7d || data[nl - 2] === 0x7d || nl - i < 2
        ? this.literalBefore(data, i, nl)
        : -1;
    this.tail = EMPTY;
    if (literal >= 0) {
      this.literalLeft = literal;
      this.open = true;
      return nl + 1;
    }
    this.open = false;
    if (this.watchCommands) this.ended();
    return nl + 1;
  }

  /** A client message ended: it becomes the last one, and is checked for STARTTLS/COMPRESS. */
  private ended(): void {
    const head = this.head;
    this.head = this.last;
    this.last = head;
    this.lastLen = this.headLen;
    this.headLen = 0;
    if (this.transportAsked) return;
    const [from, to] = commandName(head, this.lastLen);
    if (to - from === 8 && (isWord(head, from, STARTTLS) || isWord(head, from, COMPRESS)))
      this.transportAsked = true;
  }

  /**
   * The server's direction, where only literals matter: jumps from one `}\r\n` to the next
   * (one native search per chunk when there is none) instead of visiting every line. Returns
   * where it stopped: past a literal's announcement, or data.length.
   */
  private toNextLiteral(data: Buffer, i: number): number {
    for (;;) {
      const q = data.indexOf(LITERAL_END, i);
      if (q < 0) {
        const lf = data.lastIndexOf(LF);
        if (lf === data.length - 1 && lf >= i) {
          this.tail = EMPTY;
          this.open = false;
        } else {
          this.keepTail(data, Math.max(i, lf + 1));
          this.open = true;
        }
        return data.length;
      }
      const literal = this.literalBefore(data, i, q + 2);
      if (literal >= 0) {
        this.tail = EMPTY;
        this.literalLeft = literal;
        this.open = true;
        return q + 3;
      }
      i = q + 1;
    }
  }

  private keepTail(data: Buffer, from: number): void {
    const piece = data.subarray(Math.max(from, data.length - TAIL_BYTES));
    const joined = from > 0 || !this.open ? piece : Buffer.concat([this.tail, piece]);
    this.tail = Buffer.from(joined.subarray(Math.max(0, joined.length - TAIL_BYTES)));
  }

  /** The n of a `{n}` or `{n+}` that ends the line at `nl` (CR optional), else -1. */
  private literalBefore(data: Buffer, start: number, nl: number): number {
    // Byte k places before the LF, from this chunk or from the kept tail of earlier ones.
    const back = (k: number): number => {
      const p = nl - 1 - k;
      if (p >= start) return data[p]!;
      const t = this.tail.length - (start - p);
      return t >= 0 ? this.tail[t]! : -1;
    };
    let k = back(0) === CR ? 1 : 0;
    if (back(k) !== 0x7d /* } */) return -1;
    k += 1;
    if (back(k) === 0x2b /* + */) k += 1;
    let n = 0;
    let scale = 1;
    let digits = 0;
    for (let b = back(k); b >= 0x30 && b <= 0x39 && digits < 16; b = back(++k)) {
      n += (b - 0x30) * scale;
      scale *= 10;
      digits += 1;
    }
    return digits > 0 && back(k) === 0x7b /* { */ ? n : -1;
  }
}

const STARTTLS = Buffer.from('STARTTLS');
const COMPRESS = Buffer.from('COMPRESS');
const SPACE = 0x20;

const isLetter = (b: number): boolean => (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7a;

/**
 * Where the command name of a message head lies: the letters after the tag (bytes up to the
 * first space) and a space, and after `UID ` when letters follow it. [0, 0] when there is none.
 */
function commandName(head: Buffer, len: number): [number, number] {
  let i = 0;
  while (i < len && head[i]! > SPACE) i++;
  if (i === 0 || i >= len || head[i] !== SPACE) return [0, 0];
  let from = i + 1;
  if (
    from + 4 < len &&
    (head[from]! | 0x20) === 0x75 &&
    (head[from + 1]! | 0x20) === 0x69 &&
    (head[from + 2]! | 0x20) === 0x64 &&
    head[from + 3] === SPACE &&
    isLetter(head[from + 4]!)
  )
    from += 4;
  let to = from;
  while (to < len && isLetter(head[to]!)) to++;
  return [from, to];
}

/** Whether `word` (upper case) is at `at` in `head`, in any case. */
function isWord(head: Buffer, at: number, word: Buffer): boolean {
  for (let k = 0; k < word.length; k++) if ((head[at + k]! & 0xdf) !== word[k]) return false;
  return true;
}

/**
 * The relay's hooks for limits and shutdown, one per session: TCP keepalive on both legs, the
 * idle timeout (no bytes either way for `idleTimeoutMs`), and a BYE that is only written when
 * it cannot land inside something: the server's last bytes ended a line, the client is not
 * in the middle of a command or literal, and neither STARTTLS nor COMPRESS was ever asked for
 * (past them the bytes on the client's socket may not be the plaintext seen here).
 */
export class SessionGuard {
  private readonly boundary: Record<Direction, LineBoundary> = {
    c2s: new LineBoundary(true),
    s2c: new LineBoundary(),
  };
  private lastActivity = Date.now();
  private timer: NodeJS.Timeout | null = null;
  private transportChanged = false;
  private pendingBye: string | null = null;
  private stopped = false;

  constructor(
    private readonly limits: SessionLimits | undefined,
    sockets: readonly Socket[],
    private readonly onIdle: () => void,
    private readonly writeBye: (text: string) => void,
  ) {
    const keepAlive = limits?.keepAliveMs ?? KEEPALIVE_MS;
    for (const s of sockets) s.setKeepAlive(true, keepAlive);
    if (limits && limits.idleTimeoutMs > 0) this.arm(limits.idleTimeoutMs);
  }

  /** Called for every chunk forwarded, after it was written onward. */
  seen(direction: Direction, data: Buffer): void {
    this.lastActivity = Date.now();
    if (this.transportChanged) return;
    const b = this.boundary[direction];
    b.feed(data);
    if (b.transportAsked) this.transportChanged = true;
    if (this.pendingBye !== null) this.bye(this.pendingBye);
  }

  /**
   * Asks for a BYE: written now if both directions are at a boundary, else after the chunk
   * that brings them there (if one does before the session is closed). Returns whether it
   * was written now.
   */
  bye(text: string): boolean {
    if (this.stopped || this.transportChanged) return false;
    if (!this.boundary.c2s.atBoundary || !this.boundary.s2c.atBoundary) {
      this.pendingBye = text;
      return false;
    }
    this.pendingBye = null;
    this.writeBye(text);
    return true;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private arm(ms: number): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.stopped) return;
      const idleFor = Date.now() - this.lastActivity;
      const timeout = this.limits!.idleTimeoutMs;
      if (idleFor >= timeout) this.onIdle();
      else this.arm(timeout - idleFor);
    }, ms);
    this.timer.unref();
  }
}
