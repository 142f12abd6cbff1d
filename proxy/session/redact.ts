/**
 * Credential masking (DESIGN.md rule 6): LOGIN's password, AUTHENTICATE's initial response, the
 * client's SASL lines and any literal carrying them are replaced by a mask of the same length
 * before any event leaves the tracker. Masks are `*` characters, one per byte of the secret's
 * UTF-8 encoding, so a masked `raw` lines up byte for byte with the wire; literal previews are
 * masked with bytes 0x2a; a masked literal loses its sha256 too, since a hash of a password is
 * as good as the password to anyone who can guess.
 *
 * Each redaction also reports what it masked as {@link MaskSpan}s in stream offsets, so the raw
 * bytes handed to the archive are masked from the same decision (raw-masker.ts), not re-derived
 * from the `*`s of the events.
 */
import type {
  Command,
  LiteralRef,
  Malformed,
  Message,
  SaslResponse,
  Token,
} from '../../shared/messages.ts';
import { tokenLiterals } from '../../shared/message-literals.ts';

/** Client stream bytes a redaction masked: `[offset, offset + length)`, in decoder offsets. */
export interface MaskSpan {
  offset: number;
  length: number;
}

const MASK = '*';

/** `*` repeated `length` times. */
export function mask(length: number): string {
  return MASK.repeat(length);
}

/** One `*` per UTF-8 byte of `text`. */
function maskText(text: string): string {
  return MASK.repeat(Buffer.byteLength(text, 'utf8'));
}

function maskLiteral(literal: LiteralRef): LiteralRef {
  return { ...literal, sha256: null, preview: new Uint8Array(literal.preview.length).fill(0x2a) };
}

/** The token with every value replaced by a same-length mask; lists are masked item by item. */
export function maskToken(t: Token): Token {
  switch (t.type) {
    case 'atom':
    case 'quoted':
      return { type: t.type, value: maskText(t.value) };
    case 'number':
      return { type: 'atom', value: maskText(String(t.value)) };
    case 'sequence-set':
      return { type: 'atom', value: maskText(t.value) };
    case 'literal':
      return { type: 'literal', literal: maskLiteral(t.literal) };
    case 'list':
      return { type: 'list', items: t.items.map(maskToken) };
    case 'nil':
      return t;
    case 'section':
      return { type: 'atom', value: mask(t.name.length + t.section.text.length + 2) };
  }
}

/** Commands that carry secrets. */
export function carriesSecret(name: string): boolean {
  return name === 'LOGIN' || name === 'AUTHENTICATE';
}

/**
 * Skips one astring of `raw` starting at `i` (an atom, a quoted string with `\` escapes, or a
 * literal marker `{n}`/`{n+}`/`~{n}` with the CRLF after it) and returns the index after it.
 */
function skipAstring(raw: string, i: number): number {
  if (raw[i] === '"') {
    let j = i + 1;
    while (j < raw.length && raw[j] !== '"') j += raw[j] === '\\' ? 2 : 1;
    return Math.min(j + 1, raw.length);
  }
  const literal = /^~?\{\d+\+?\}\r\n/.exec(raw.slice(i, i + 32));
  if (literal) return i + literal[0].length;
  let j = i;
  while (j < raw.length && raw[j] !== ' ' && raw[j] !== '\r' && raw[j] !== '\n') j++;
  return j;
}

function skipSpaces(raw: string, i: number): number {
  while (raw[i] === ' ') i++;
  return i;
}

/**
 * `raw` with everything after the first `keep` words (tag, name, and for LOGIN the user) masked:
 * quoted strings keep their quotes, literal markers and line ends are kept (the bodies are not
 * in `raw`), every other character becomes one `*` per UTF-8 byte.
 */
export function maskRawAfter(raw: string, keep: number): string {
  return maskRaw(raw, keep).text;
}

/** {@link maskRawAfter}, plus the masked runs as `[start, end)` UTF-8 byte positions of `raw`. */
function maskRaw(raw: string, keep: number): { text: string; runs: [number, number][] } {
  let i = 0;
  for (let w = 0; w < keep && i < raw.length; w++) i = skipAstring(raw, skipSpaces(raw, i));
  let out = raw.slice(0, i);
  let byte = Buffer.byteLength(out, 'utf8');
  const runs: [number, number][] = [];
  while (i < raw.length) {
    const c = String.fromCodePoint(raw.codePointAt(i) as number);
    if (c === ' ' || c === '"' || c === '\r' || c === '\n') {
      out += c;
      i++;
      byte++;
      continue;
    }
    const literal = /^~?\{\d+\+?\}(?=\r\n|$)/.exec(raw.slice(i, i + 32));
    if (literal) {
      out += literal[0];
      i += literal[0].length;
      byte += literal[0].length;
      continue;
    }
    const n = Buffer.byteLength(c, 'utf8');
    const last = runs[runs.length - 1];
    if (last !== undefined && last[1] === byte) last[1] += n;
    else runs.push([byte, byte + n]);
    out += mask(n);
    i += c.length;
    byte += n;
  }
  return { text: out, runs };
}

/**
 * Stream spans of a message's masked `raw` runs and masked literal bodies. `raw` is the lines
 * joined by CRLF without their literal bodies, so line `i` starts where literal `i - 1` ends.
 * When the lines do not add up to the message's bytes (text that was not UTF-8, a line cut at
 * the line cap, literals a Malformed message does not list), the whole message is masked.
 */
function streamSpans(
  m: Message,
  runs: readonly [number, number][],
  literals: readonly LiteralRef[],
  masked: readonly LiteralRef[],
): MaskSpan[] {
  const whole = [{ offset: m.offset, length: m.length }];
  const lines = m.raw.split('\r\n');
  const lits = literals.filter((l) => !l.refused).sort((a, b) => a.offset - b.offset);
  if (lits.length !== lines.length - 1) return whole;
  const out: MaskSpan[] = [];
  let rawStart = 0;
  let run = 0;
  for (let li = 0; li < lines.length; li++) {
    const prev = lits[li - 1];
    const start = prev === undefined ? m.offset : prev.offset + prev.size;
    const bound = lits[li]?.offset ?? m.offset + m.length;
    const len = Buffer.byteLength(lines[li] as string, 'utf8');
    const eol = bound - start - len;
    const last = li === lines.length - 1;
    if (eol !== 2 && eol !== 1 && !(last && eol === 0)) return whole;
    for (; run < runs.length && (runs[run] as [number, number])[0] < rawStart + len; run++) {
      const [a, b] = runs[run] as [number, number];
      out.push({ offset: start + a - rawStart, length: b - a });
    }
    rawStart += len + 2;
  }
  for (const l of masked)
    if (!l.refused && l.size > 0) out.push({ offset: l.offset, length: l.size });
  return out;
}

/**
 * The command as sinks may see it. LOGIN: the password (second argument and anything after it)
 * masked; AUTHENTICATE: everything after the mechanism masked. Other commands are returned as is.
 */
export function redactCommand(cmd: Command, spans?: MaskSpan[]): Command {
  if (!carriesSecret(cmd.name)) return cmd;
  // tag, [UID,] name, then LOGIN keeps the user and AUTHENTICATE the mechanism.
  const keep = (cmd.uid ? 3 : 2) + 1;
  const { text, runs } = maskRaw(cmd.raw, keep);
  if (spans) {
    const masked = tokenLiterals(cmd.args.slice(1));
    spans.push(...streamSpans(cmd, runs, tokenLiterals(cmd.args), masked));
  }
  return { ...cmd, raw: text, args: cmd.args.map((t, i) => (i === 0 ? t : maskToken(t))) };
}

/** A SASL line as sinks may see it: text and raw masked, except the `*` that cancels. */
export function redactSasl(m: SaslResponse, spans?: MaskSpan[]): SaslResponse {
  if (m.cancel) return m;
  const { text, runs } = maskRaw(m.raw, 0);
  if (spans) spans.push(...streamSpans(m, runs, [], []));
  return { ...m, text: maskText(m.text), raw: text };
}

/**
 * A client message that did not decode: masked whole while a SASL exchange runs, and after the
 * name when it looks like LOGIN or AUTHENTICATE (a malformed LOGIN still carries its password).
 */
export function redactMalformedClient(
  m: Malformed,
  inSasl: boolean,
  spans?: MaskSpan[],
): Malformed {
  let keep = 0;
  if (!inSasl) {
    const words = /^\S+ +(?:UID +)?(\S+)/i.exec(m.raw);
    const name = words?.[1]?.toUpperCase();
    if (name === undefined || !carriesSecret(name)) return m;
    // Keep tag, name and the user (LOGIN) or mechanism (AUTHENTICATE).
    keep = 3;
  }
  const { text, runs } = maskRaw(m.raw, keep);
  // A Malformed message lists no literals: one with several lines is masked whole.
  if (spans) spans.push(...streamSpans(m, runs, [], []));
  return { ...m, raw: text };
}

/**
 * The user name a SASL PLAIN message carries (`authzid NUL authcid NUL password`, base64): the
 * authorization identity when given, else the authentication identity; null when it is not PLAIN.
 */
export function plainSaslUser(base64: string): string | null {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) return null;
  const parts = Buffer.from(base64, 'base64').toString('utf8').split('\0');
  if (parts.length !== 3) return null;
  const user = parts[0] || parts[1];
  return user ? user : null;
}

const SECRET_NAMES = /LOGIN|AUTHENTICATE/i;
/** Bytes of a message's start looked at to tell whether it is LOGIN or AUTHENTICATE. */
export const HEAD_BYTES = 4096;

/**
 * Whether a client command whose first bytes (so far) are `head` is one whose bytes
 * {@link redactCommand} or {@link redactMalformedClient} would mask, before the whole message
 * came: `public` once the command name is complete (after the tag, and after `UID`) and neither
 * it nor anything before it contains LOGIN or AUTHENTICATE; `secret` when it does; `unknown`
 * while the name is still coming. Errs towards `secret`: a tag or tab that hides the name from
 * a word split still holds the message, and a head past 4 KiB without a name is `secret`.
 */
export function classifyHead(head: Buffer): 'secret' | 'public' | 'unknown' {
  const text = head.toString('latin1', 0, Math.min(head.length, HEAD_BYTES));
  const lf = text.indexOf('\n');
  const line = lf < 0 ? text : text.slice(0, lf);
  const ends: number[] = [];
  for (let i = 0; ends.length < 3;) {
    while (line.charCodeAt(i) === 0x20) i++;
    const sp = line.indexOf(' ', i);
    if (sp < 0) break;
    ends.push(sp);
    i = sp;
  }
  let nameEnd: number | null = null;
  const [tagEnd, w2End, w3End] = ends;
  if (tagEnd !== undefined && w2End !== undefined) {
    if (line.slice(tagEnd, w2End).trim().toUpperCase() !== 'UID') nameEnd = w2End;
    else if (w3End !== undefined) nameEnd = w3End;
  }
  if (nameEnd === null && lf >= 0) nameEnd = line.length;
  if (SECRET_NAMES.test(line.slice(0, nameEnd ?? line.length))) return 'secret';
  if (nameEnd !== null) return 'public';
  return text.length >= HEAD_BYTES ? 'secret' : 'unknown';
}
