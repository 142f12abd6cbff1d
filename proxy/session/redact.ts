/**
 * Credential masking (DESIGN.md rule 6): LOGIN's password, AUTHENTICATE's initial response, the
 * client's SASL lines and any literal carrying them are replaced by a mask of the same length
 * before any event leaves the tracker. Masks are `*` characters, one per byte of the secret's
 * UTF-8 encoding, so a masked `raw` lines up byte for byte with the wire (the archive's raw
 * redactor relies on it); literal previews are masked with bytes 0x2a;
 * a masked literal loses its sha256 too, since a hash of a password is as good as the password
 * to anyone who can guess.
 */
import type { Command, LiteralRef, Malformed, SaslResponse, Token } from '../../shared/messages.ts';

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
  let i = 0;
  for (let w = 0; w < keep && i < raw.length; w++) i = skipAstring(raw, skipSpaces(raw, i));
  let out = raw.slice(0, i);
  while (i < raw.length) {
    const c = String.fromCodePoint(raw.codePointAt(i) as number);
    if (c === ' ' || c === '"' || c === '\r' || c === '\n') {
      out += c;
      i++;
      continue;
    }
    const literal = /^~?\{\d+\+?\}(?=\r\n|$)/.exec(raw.slice(i, i + 32));
    if (literal) {
      out += literal[0];
      i += literal[0].length;
      continue;
    }
    out += maskText(c);
    i += c.length;
  }
  return out;
}

/**
 * The command as sinks may see it. LOGIN: the password (second argument and anything after it)
 * masked; AUTHENTICATE: everything after the mechanism masked. Other commands are returned as is.
 */
export function redactCommand(cmd: Command): Command {
  if (!carriesSecret(cmd.name)) return cmd;
  // tag, [UID,] name, then LOGIN keeps the user and AUTHENTICATE the mechanism.
  const keep = (cmd.uid ? 3 : 2) + 1;
  return {
    ...cmd,
    raw: maskRawAfter(cmd.raw, keep),
    args: cmd.args.map((t, i) => (i === 0 ? t : maskToken(t))),
  };
}

/** A SASL line as sinks may see it: text and raw masked, except the `*` that cancels. */
export function redactSasl(m: SaslResponse): SaslResponse {
  if (m.cancel) return m;
  return { ...m, text: maskText(m.text), raw: maskRawAfter(m.raw, 0) };
}

/**
 * A client message that did not decode: masked whole while a SASL exchange runs, and after the
 * name when it looks like LOGIN or AUTHENTICATE (a malformed LOGIN still carries its password).
 */
export function redactMalformedClient(m: Malformed, inSasl: boolean): Malformed {
  if (inSasl) return { ...m, raw: maskRawAfter(m.raw, 0) };
  const words = /^\S+ +(?:UID +)?(\S+)/i.exec(m.raw);
  const name = words?.[1]?.toUpperCase();
  if (name === undefined || !carriesSecret(name)) return m;
  // Keep tag, name and the user (LOGIN) or mechanism (AUTHENTICATE).
  return { ...m, raw: maskRawAfter(m.raw, 3) };
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
