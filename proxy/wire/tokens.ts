/**
 * The tokenizer: reads one framed message (lines with literals between them) into tokens.
 * A failure throws a {@link WireSyntaxError}, which only decode.ts catches and turns into a
 * Malformed message value; nothing outside proxy/wire sees the throw.
 */
import type { LiteralRef, PartialRange, SectionSpec, Token } from '../../shared/messages.ts';
import type { MalformedCode } from '../../shared/messages.ts';
import { MAX_NESTING_DEPTH } from '../limits.ts';
import type { Frame, FramedLiteral } from './framer.ts';

export class WireSyntaxError {
  // Deliberately not an Error: capturing a stack trace per bad line made garbage input (the
  // middle of a literal after an inspection gap, say) cost more than decoding good input.
  constructor(
    readonly code: MalformedCode,
    readonly message: string,
  ) {}
}

const SP = 0x20;
const QUOTE = 0x22;
const LPAREN = 0x28;
const RPAREN = 0x29;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const BACKSLASH = 0x5c;
const LT = 0x3c;
const GT = 0x3e;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const EMPTY = Buffer.alloc(0);

/**
 * Bytes that end an atom: SP ( ) " and controls, and `[` where a section may start. Not `]`:
 * astring allows it (resp-specials), and sections are scanned to their own `]`.
 */
const ATOM_END = new Uint8Array(256);
for (const c of [SP, LPAREN, RPAREN, QUOTE, LBRACKET, 0x7f]) ATOM_END[c] = 1;
for (let c = 0; c < 0x20; c++) ATOM_END[c] = 1;

/** The fetch atoms that take a `[section]` (RFC 9051 §6.4.5, RFC 3516); any other `[` is atom text. */
const SECTION_NAMES = new Set(['BODY', 'BODY.PEEK', 'BINARY', 'BINARY.PEEK', 'BINARY.SIZE']);

export function fail(message: string): never {
  throw new WireSyntaxError('ERR_WIRE_SYNTAX', message);
}

/** Turns a framed literal into the shared reference (no copy: the preview is already owned). */
export function literalRef(lit: FramedLiteral): LiteralRef {
  return {
    kind: lit.kind,
    literal8: lit.literal8,
    size: lit.size,
    offset: lit.offset,
    sha256: lit.sha256,
    preview: lit.preview,
    refused: false,
  };
}

/** A cursor over a frame's lines; literals are read where the framer found their markers. */
export class Reader {
  private readonly frame: Frame;
  private li = 0;
  buf: Buffer;
  /** The current line as latin1: one char per byte, so string and byte indexes agree. */
  text: string;
  pos = 0;

  constructor(frame: Frame) {
    this.frame = frame;
    this.buf = frame.lines[0] ?? EMPTY;
    this.text = this.buf.toString('latin1');
  }

  private setLine(li: number): void {
    this.li = li;
    this.buf = this.frame.lines[li] ?? EMPTY;
    this.text = this.buf.toString('latin1');
    this.pos = 0;
  }

  /** The byte at the cursor, or -1 at the end of the current line. */
  peek(): number {
    return this.pos < this.buf.length ? (this.buf[this.pos] as number) : -1;
  }

  /** Whether everything has been read. */
  atEnd(): boolean {
    return this.pos >= this.text.length && this.li >= this.frame.lines.length - 1;
  }

  /** Skips one or more spaces; fails when there is none. */
  sp(): void {
    if (this.peek() !== SP) fail(`expected a space at ${this.pos}`);
    while (this.peek() === SP) this.pos++;
  }

  skipSpaces(): void {
    while (this.peek() === SP) this.pos++;
  }

  /** Bytes up to the next SP (or line end), as a string; fails when empty. */
  word(): string {
    const start = this.pos;
    let end = this.text.indexOf(' ', start);
    if (end === -1) end = this.text.length;
    if (end === start) fail(`expected a word at ${start}`);
    this.pos = end;
    return this.text.slice(start, end);
  }

  /** The rest of the current line as UTF-8 text. */
  rest(): string {
    const text = this.buf.toString('utf8', this.pos, this.buf.length);
    this.pos = this.buf.length;
    return text;
  }

  /** Tokens up to the end of the message, spaces between them skipped. */
  tokensToEnd(): Token[] {
    const out: Token[] = [];
    this.skipSpaces();
    while (!this.atEnd()) {
      out.push(this.token(0));
      this.skipSpaces();
    }
    return out;
  }

  /** One token of any kind at the cursor. */
  token(depth: number): Token {
    const c = this.peek();
    if (c === LPAREN) return this.list(depth + 1);
    if (c === QUOTE) return { type: 'quoted', value: this.quoted() };
    const lit = this.literalHere();
    if (lit !== null) return lit;
    return this.atom();
  }

  /** A parenthesized list; `depth` counts the open parentheses including this one. */
  list(depth: number): Token {
    if (depth > MAX_NESTING_DEPTH) {
      throw new WireSyntaxError('ERR_WIRE_TOO_DEEP', `lists nest deeper than ${MAX_NESTING_DEPTH}`);
    }
    this.pos++; // (
    const items: Token[] = [];
    for (;;) {
      this.skipSpaces();
      const c = this.peek();
      if (c === RPAREN) {
        this.pos++;
        return { type: 'list', items };
      }
      if (c === -1) fail('unterminated list');
      items.push(this.token(depth));
    }
  }

  /** A quoted string's value (escapes removed, UTF-8 decoded). */
  quoted(): string {
    const text = this.text;
    const buf = this.buf;
    const start = ++this.pos;
    let i = start;
    let high = false;
    let escaped = false;
    const len = buf.length;
    for (; i < len; i++) {
      const c = buf[i] as number;
      if (c === QUOTE) break;
      if (c === BACKSLASH) {
        escaped = true;
        i++;
      } else if (c >= 0x80) high = true;
    }
    if (i >= len) fail('unterminated quoted string');
    this.pos = i + 1;
    const value = high ? this.buf.toString('utf8', start, i) : text.slice(start, i);
    return escaped ? value.replace(/\\(.)/g, '$1') : value;
  }

  /** The literal whose marker is at the cursor, or null; consumes it and moves to the next line. */
  literalHere(): Token | null {
    const lit = this.frame.literals[this.li];
    const isLast = this.li === this.frame.lines.length - 1;
    if (lit !== undefined && lit.markerStart === this.pos && !isLast) {
      this.setLine(this.li + 1);
      return { type: 'literal', literal: literalRef(lit) };
    }
    const refused = this.frame.refusedLiteral;
    if (refused !== null && isLast && refused.markerStart === this.pos) {
      this.pos = this.buf.length;
      const literal: LiteralRef = {
        kind: 'sync',
        literal8: refused.literal8,
        size: refused.size,
        offset: -1,
        sha256: null,
        preview: EMPTY,
        refused: true,
      };
      return { type: 'literal', literal };
    }
    return null;
  }

  /** An atom, number, NIL, or `name[section]<partial>`. */
  atom(): Token {
    const text = this.text;
    const buf = this.buf;
    const start = this.pos;
    let i = start;
    let digits = true;
    let high = false;
    const len = buf.length;
    for (; i < len; i++) {
      const c = buf[i] as number;
      if (c < 0x80) {
        if (ATOM_END[c] === 1) break;
        if (c < ZERO || c > NINE) digits = false;
      } else {
        high = true;
        digits = false;
      }
    }
    if (i < len && buf[i] === LBRACKET) {
      if (SECTION_NAMES.has(text.slice(start, i).toUpperCase())) return this.section(start, i);
      // Any other `[` belongs to the atom: astring allows `]` and mailbox names may hold `[`
      // (`SELECT rp[x]`, `LIST "" [Gmail]/*`), so the atom runs on to the next SP, paren or quote.
      for (digits = false; i < len; i++) {
        const c = buf[i] as number;
        if (c >= 0x80) high = true;
        else if (ATOM_END[c] === 1 && c !== LBRACKET) break;
      }
    }
    if (i === start) fail(`unexpected ${i < len ? `'${text[i]}'` : 'end of line'} at ${i}`);
    this.pos = i;
    if (digits && i - start <= 15) return { type: 'number', value: parseDigits(buf, start, i) };
    const value = high ? this.buf.toString('utf8', start, i) : text.slice(start, i);
    if (i - start === 3 && value.toUpperCase() === 'NIL') return { type: 'nil' };
    return { type: 'atom', value };
  }

  /** `name[...]` with an optional `<origin[.length]>`; the cursor is at `[`. */
  private section(start: number, open: number): Token {
    const text = this.text;
    const name = text.slice(start, open).toUpperCase();
    let i = open + 1;
    let inQuote = false;
    for (; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (inQuote) {
        if (c === BACKSLASH) i++;
        else if (c === QUOTE) inQuote = false;
      } else if (c === QUOTE) inQuote = true;
      else if (c === RBRACKET) break;
    }
    if (i >= text.length) fail('unterminated section');
    const section = parseSection(this.buf.toString('utf8', open + 1, i));
    this.pos = i + 1;
    let partial: PartialRange | null = null;
    if (this.peek() === LT) {
      this.pos++;
      const origin = this.digits();
      let length: number | null = null;
      if (this.peek() === DOT) {
        this.pos++;
        length = this.digits();
      }
      if (this.peek() !== GT) fail('unterminated partial');
      this.pos++;
      partial = { origin, length };
    }
    return { type: 'section', name, section, partial };
  }

  /** A run of decimal digits as a number. */
  digits(): number {
    const buf = this.buf;
    const start = this.pos;
    let i = start;
    while (i < buf.length && (buf[i] as number) >= ZERO && (buf[i] as number) <= NINE) i++;
    if (i === start || i - start > 15) fail(`expected a number at ${start}`);
    this.pos = i;
    return parseDigits(buf, start, i);
  }
}

function parseDigits(buf: Buffer, start: number, end: number): number {
  let n = 0;
  for (let i = start; i < end; i++) n = n * 10 + ((buf[i] as number) - ZERO);
  return n;
}

const SECTION_RE = /^((?:\d+\.)*\d+)?\.?([A-Za-z.]*)\s*(?:\((.*)\))?\s*$/s;

/** Takes `1.2.HEADER.FIELDS (FROM "To")` apart; unusual text is kept in `text` with empty parts. */
export function parseSection(text: string): SectionSpec {
  const m = SECTION_RE.exec(text);
  if (m === null) return { text, part: [], specifier: '', fields: [] };
  const part = m[1] === undefined ? [] : m[1].split('.').map(Number);
  const fields =
    m[3] === undefined
      ? []
      : (m[3].match(/"(?:[^"\\]|\\.)*"|[^\s"]+/g) ?? []).map((f) =>
          f.startsWith('"') ? f.slice(1, -1).replace(/\\(.)/g, '$1') : f,
        );
  return { text, part, specifier: (m[2] ?? '').toUpperCase(), fields };
}
