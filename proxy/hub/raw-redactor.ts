import type { ImapscopeEvent } from '../../shared/events.ts';
import type { LiteralRef, Message, Token } from '../../shared/messages.ts';
import { RAW_REDACT_HOLD_BYTES } from '../limits.ts';
import type { RawChunk } from './hub.ts';

const STAR = 0x2a;
const SECRET_LINE = /^[^\s]+ +(?:UID +)?(?:LOGIN|AUTHENTICATE)\b/i;

/**
 * Masks credentials in one session's raw client bytes the way the tracker masked them in its
 * events (DESIGN rule 6), so the archive, transcripts and pcapng never hold a password.
 *
 * Client bytes are held until a decoded message covers them (its `offset + length`); the
 * message events then say what to mask: every `*` of a redacted command's `raw` is written over
 * the byte it stands for, and a masked literal (LOGIN/AUTHENTICATE, SASL) is masked whole.
 * Server bytes pass straight through. Output keeps every length, so offsets stay valid.
 * Held bytes past {@link RAW_REDACT_HOLD_BYTES} are let through, masked whole if they begin a
 * LOGIN or AUTHENTICATE line (a credential is never let out unmasked to save memory).
 */
export class RawRedactor {
  private held: Buffer[] = [];
  private heldBytes = 0;
  /** Stream offset of the first held byte. */
  private base = 0;
  /** End of the last decoded client message: bytes before it may go. */
  private covered = 0;
  /** Masks waiting for bytes that are still to come or held: [start, end) → bytes. */
  private masks: { start: number; bytes: Uint8Array }[] = [];
  private at = 0;

  constructor(
    private readonly session: string,
    private readonly out: (chunks: RawChunk[]) => void,
  ) {}

  /** Takes chunks of this session in stream order. */
  raw(chunks: readonly RawChunk[]): void {
    const ready: RawChunk[] = [];
    for (const c of chunks) {
      if (c.direction === 's2c') {
        ready.push(c);
        continue;
      }
      // A copy: a stage gets chunk bytes only for the call (test/hub/helpers.ts plays them so).
      this.held.push(Buffer.from(c.data));
      this.heldBytes += c.data.byteLength;
      this.at = c.at;
    }
    // Server chunks are not held; flushing client bytes first keeps arrival order per direction.
    this.release(false, ready);
    if (ready.length > 0) this.out(ready);
  }

  /** Takes the session's events: client messages move the covered mark and bring masks. */
  events(events: readonly ImapscopeEvent[]): void {
    let moved = false;
    for (const e of events) {
      if (e.type === 'gap' && e.direction === 'c2s') {
        // The decoder's offsets count the dropped bytes: let the held bytes go and skip them.
        this.end();
        this.base += e.droppedBytes;
        this.covered = Math.max(this.covered, this.base);
        continue;
      }
      if ((e.type !== 'message' && e.type !== 'malformed') || e.direction !== 'c2s') continue;
      const m = e.message;
      this.covered = Math.max(this.covered, m.offset + m.length);
      moved = true;
      if (needsMask(m)) this.addMasks(m);
    }
    if (moved) {
      const ready: RawChunk[] = [];
      this.release(false, ready);
      if (ready.length > 0) this.out(ready);
    }
  }

  /** The session ended (or inspection lost sync): everything held goes out. */
  end(): void {
    const ready: RawChunk[] = [];
    this.release(true, ready);
    if (ready.length > 0) this.out(ready);
  }

  private release(all: boolean, into: RawChunk[]): void {
    if (this.heldBytes === 0) return;
    let upTo = Math.min(this.base + this.heldBytes, Math.max(this.covered, this.base));
    let maskAll = false;
    if (all || this.heldBytes - (upTo - this.base) > RAW_REDACT_HOLD_BYTES) {
      if (upTo < this.base + this.heldBytes) {
        const rest = Buffer.concat(this.held).subarray(upTo - this.base);
        maskAll = SECRET_LINE.test(rest.subarray(0, 64).toString('latin1'));
      }
      upTo = this.base + this.heldBytes;
    }
    if (upTo <= this.base) return;
    const all_ = Buffer.concat(this.held);
    const part = Buffer.from(all_.subarray(0, upTo - this.base));
    this.applyMasks(part, this.base);
    if (maskAll) {
      const from = Math.max(0, this.covered - this.base);
      for (let i = from; i < part.length; i++)
        if (part[i] !== 0x0d && part[i] !== 0x0a) part[i] = STAR;
    }
    const rest = all_.subarray(upTo - this.base);
    this.held = rest.length > 0 ? [rest] : [];
    this.heldBytes = rest.length;
    this.base = upTo;
    this.masks = this.masks.filter((m) => m.start + m.bytes.length > upTo);
    into.push({ session: this.session, direction: 'c2s', at: this.at, data: part });
  }

  private applyMasks(part: Buffer, base: number): void {
    for (const m of this.masks) {
      for (let i = 0; i < m.bytes.length; i++) {
        const pos = m.start + i - base;
        if (pos >= 0 && pos < part.length && m.bytes[i] === STAR) part[pos] = STAR;
      }
    }
  }

  /**
   * Maps the message's `raw` (lines joined by CRLF, literal bodies left out) onto stream
   * offsets: the segments between literal bodies. If the sizes do not add up (raw text that
   * was not valid UTF-8), the whole message is masked but its line ends.
   */
  private addMasks(m: Message): void {
    const rawBytes = Buffer.from(m.raw, 'utf8');
    const literals = m.type === 'command' ? collectLiterals(m.args) : [];
    literals.sort((a, b) => a.offset - b.offset);
    const bodies = literals.reduce((n, l) => n + (l.refused ? 0 : l.size), 0);
    const tail = m.length - rawBytes.length - bodies;
    if (tail < 0 || tail > 2) {
      const bytes = new Uint8Array(m.length).fill(STAR);
      this.masks.push({ start: m.offset, bytes });
      return;
    }
    let rawPos = 0;
    let streamPos = m.offset;
    for (const lit of literals) {
      const segLen = lit.offset - streamPos;
      if (segLen < 0 || rawPos + segLen > rawBytes.length) break;
      this.masks.push({ start: streamPos, bytes: rawBytes.subarray(rawPos, rawPos + segLen) });
      rawPos += segLen;
      if (!lit.refused) {
        if (lit.sha256 === null) {
          this.masks.push({ start: lit.offset, bytes: new Uint8Array(lit.size).fill(STAR) });
        }
        streamPos = lit.offset + lit.size;
      } else streamPos = lit.offset;
    }
    this.masks.push({ start: streamPos, bytes: rawBytes.subarray(rawPos) });
  }
}

/** Commands and client lines the tracker redacts. */
function needsMask(m: Message): boolean {
  switch (m.type) {
    case 'command':
      return m.name === 'LOGIN' || m.name === 'AUTHENTICATE';
    case 'sasl-response':
    case 'malformed':
      return m.raw.includes('*');
    case 'idle-done':
    case 'greeting':
    case 'tagged':
    case 'untagged':
    case 'continuation':
      return false;
  }
}

function collectLiterals(tokens: readonly Token[], into: LiteralRef[] = []): LiteralRef[] {
  for (const t of tokens) {
    if (t.type === 'literal') into.push(t.literal);
    else if (t.type === 'list') collectLiterals(t.items, into);
  }
  return into;
}
