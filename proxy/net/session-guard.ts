import type { Socket } from 'node:net';
import type { Direction } from '../../shared/direction.ts';
import { KEEPALIVE_MS } from '../limits.ts';

/** The per-session limits the relay enforces (from --idle-timeout); absent: none. */
export interface SessionLimits {
  /** Close the session after this long without a byte in either direction; 0: never. */
  idleTimeoutMs: number;
  keepAliveMs?: number;
}

/**
 * Where one direction's bytes stand: at the end of a whole line, or inside one (a partial
 * line, a literal being sent, the rest of a line after a literal). Deliberately rough: it
 * only counts `{n}` / `{n+}` / `~{n}` literals announced at the end of a line, which is all it
 * needs to tell "a BYE here would not split anything".
 */
export class LineBoundary {
  private literalLeft = 0;
  /** Bytes of the current line seen so far (the last few, enough to spot a literal's `{n}`). */
  private tail = '';
  /** The first bytes of the current message (enough for its tag and command name). */
  private head = '';
  private open = false;
  /** The first word after the tag of the last complete line (the client's last command). */
  lastCommand = '';

  feed(data: Buffer): void {
    let i = 0;
    while (i < data.length) {
      if (this.literalLeft > 0) {
        const n = Math.min(this.literalLeft, data.length - i);
        this.literalLeft -= n;
        i += n;
        continue;
      }
      const nl = data.indexOf(10, i);
      const end = nl < 0 ? data.length : nl;
      if (!this.open) this.head = '';
      if (this.head.length < 40) this.head += data.toString('latin1', i, Math.min(end, i + 40));
      this.tail = (this.tail + data.toString('latin1', Math.max(i, end - 40), end)).slice(-40);
      this.open = true;
      if (nl < 0) return;
      i = nl + 1;
      const m = /\{(\d+)\+?\}\r?$/.exec(this.tail);
      if (m) {
        this.literalLeft = Number(m[1]);
      } else {
        this.lastCommand = /^\S+ (?:UID )?([A-Za-z]+)/i.exec(this.head)?.[1]?.toUpperCase() ?? '';
        this.open = false;
      }
      this.tail = '';
    }
  }

  /** True when the last byte ended a line that announced no literal. */
  get atBoundary(): boolean {
    return !this.open && this.literalLeft === 0;
  }
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
    c2s: new LineBoundary(),
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
    if (direction === 'c2s' && (b.lastCommand === 'STARTTLS' || b.lastCommand === 'COMPRESS'))
      this.transportChanged = true;
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
