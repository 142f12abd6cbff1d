/**
 * The one place imapscope changes server bytes. With `--client-tls starttls` and an upstream
 * leg that imapscope does not upgrade by STARTTLS (`--upstream-tls none|implicit`), imapscope
 * answers the client's STARTTLS itself, but the server's capability list need not offer it
 * (an implicit-TLS server never does). Clients that only upgrade when STARTTLS is advertised
 * would then stay in plaintext. So, in that mode only and only before the client's TLS in the
 * not-authenticated state, STARTTLS is added to the capability lists the client is shown:
 * the greeting's `* OK [CAPABILITY …]` and untagged `* CAPABILITY …` responses. Nothing else
 * is touched; a list that already has STARTTLS passes unchanged.
 *
 * Sans-I/O: `push` takes server bytes and returns the bytes to forward. Bytes of other lines
 * pass at once; only a line that starts like a capability response is held until its LF (at
 * most MAX_LINE_BYTES, past which it passes unchanged). Literal bodies are skipped by count,
 * so text inside a message never looks like a response.
 */
import { MAX_LINE_BYTES } from '../limits.ts';

const PREFIXES = ['* CAPABILITY ', '* OK [CAPABILITY '];
/** Longest prefix that still has to be looked at before a line is known not to be a candidate. */
const DECIDE_BYTES = Math.max(...PREFIXES.map((p) => p.length));
const LITERAL_AT_END = /\{(\d{1,10})[+-]?\}\r?\n$/;
const TAIL_BYTES = 24;

/** `line` (a complete capability response) with STARTTLS added to its list, when missing. */
export function withStarttls(line: string): string {
  const upper = line.toUpperCase();
  const start = upper.startsWith(PREFIXES[0]!) ? PREFIXES[0]!.length : PREFIXES[1]!.length;
  const end = upper.startsWith(PREFIXES[0]!)
    ? line.length - (/\r?\n$/.exec(line)?.[0].length ?? 0)
    : line.indexOf(']', start);
  if (end < 0) return line;
  const list = line.slice(start, end);
  if (list.split(' ').some((c) => c.toUpperCase() === 'STARTTLS')) return line;
  const sep = list === '' || list.endsWith(' ') ? '' : ' ';
  return `${line.slice(0, end)}${sep}STARTTLS${line.slice(end)}`;
}

export class StarttlsAdvertiser {
  /** 'start': at a line's first bytes, deciding; 'hold': a capability line; 'pass': any other. */
  private phase: 'start' | 'hold' | 'pass' = 'start';
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private literalLeft = 0;
  private tail = '';
  /** How many capability lists had STARTTLS added. */
  added = 0;

  private done = false;

  /** Returns the bytes to forward for `chunk` (possibly none, possibly held bytes before it). */
  push(chunk: Buffer): Buffer {
    if (this.done) return chunk;
    const out: Buffer[] = [];
    let pos = 0;
    while (pos < chunk.length) {
      if (this.literalLeft > 0) {
        const take = Math.min(this.literalLeft, chunk.length - pos);
        this.literalLeft -= take;
        out.push(chunk.subarray(pos, pos + take));
        pos += take;
        continue;
      }
      const nl = chunk.indexOf(0x0a, pos);
      const end = nl < 0 ? chunk.length : nl + 1;
      if (this.phase === 'pass') {
        out.push(chunk.subarray(pos, end));
        this.lineBytes(chunk, pos, end, nl >= 0);
        pos = end;
        continue;
      }
      if (this.phase === 'start') {
        // Look at no more than is needed to decide, so other lines are not held.
        const look = Math.min(end, pos + DECIDE_BYTES - this.pendingBytes);
        this.keep(chunk.subarray(pos, look));
        pos = look;
        const head = Buffer.concat(this.pending).toString('latin1').toUpperCase();
        if (PREFIXES.some((p) => head.startsWith(p))) {
          this.phase = 'hold';
        } else if (!PREFIXES.some((p) => p.startsWith(head)) || head.endsWith('\n')) {
          const held = this.release();
          out.push(held);
          this.phase = 'pass';
          this.tail = '';
          // The line may have ended within what was looked at (and may announce a literal).
          this.lineBytes(held, 0, held.length, head.endsWith('\n'));
        }
        continue;
      }
      // hold
      this.keep(chunk.subarray(pos, end));
      pos = end;
      if (this.pendingBytes > MAX_LINE_BYTES) {
        // Too long to be a capability list worth holding: it passes on unchanged.
        const held = this.release();
        out.push(held);
        this.phase = 'pass';
        this.tail = '';
        this.lineBytes(held, 0, held.length, nl >= 0);
      } else if (nl >= 0) {
        const held = this.release();
        const line = held.toString('latin1');
        if (LITERAL_AT_END.test(line)) {
          // Not a capability list after all: pass it on as it is and skip its literal.
          out.push(held);
          this.tail = '';
          this.lineBytes(held, 0, held.length, true);
          continue;
        }
        const shown = withStarttls(line);
        if (shown !== line) this.added += 1;
        out.push(shown === line ? held : Buffer.from(shown, 'latin1'));
        this.phase = 'start';
      }
    }
    return out.length === 1 ? out[0]! : Buffer.concat(out);
  }

  /** Gives back whatever is held (a partial line), unchanged; the advertiser is done after it. */
  flush(): Buffer {
    this.done = true;
    return this.release();
  }

  private keep(b: Buffer): void {
    if (b.length === 0) return;
    this.pending.push(b);
    this.pendingBytes += b.length;
  }

  private release(): Buffer {
    const b = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    return b;
  }

  /** Follows a passed line's end: a literal announced at its end is skipped by count. */
  private lineBytes(chunk: Buffer, from: number, end: number, complete: boolean): void {
    this.tail = (this.tail + chunk.toString('latin1', Math.max(from, end - TAIL_BYTES), end)).slice(
      -TAIL_BYTES,
    );
    if (!complete) return;
    const literal = LITERAL_AT_END.exec(this.tail);
    this.tail = '';
    if (literal) {
      this.literalLeft = Number(literal[1]);
      // The line goes on after the literal: still the same response, not a new line start.
      this.phase = 'pass';
    } else this.phase = 'start';
  }
}
