/**
 * Modified UTF-7 mailbox names (RFC 3501 §5.1.3): `&` starts a run of modified base64
 * (`,` for `/`) of UTF-16BE ended by `-`; `&-` is a literal `&`.
 */
import type { MailboxName } from '../../shared/messages.ts';

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,';
const B64_VALUE = new Int16Array(128).fill(-1);
for (let i = 0; i < B64.length; i++) B64_VALUE[B64.charCodeAt(i)] = i;

/**
 * Decodes a modified UTF-7 name; returns null when `raw` is not valid modified UTF-7 (a byte
 * outside printable ASCII, an unterminated or empty shift, bits left over, a lone surrogate).
 * A name without `&` is returned as is.
 */
export function decodeModifiedUtf7(raw: string): string | null {
  if (raw.indexOf('&') === -1) {
    return /^[\x20-\x7e]*$/.test(raw) ? raw : null;
  }
  let out = '';
  let i = 0;
  while (i < raw.length) {
    const c = raw.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return null;
    if (c !== 0x26) {
      out += raw[i];
      i++;
      continue;
    }
    const end = raw.indexOf('-', i + 1);
    if (end === -1) return null;
    if (end === i + 1) {
      out += '&';
      i = end + 1;
      continue;
    }
    const units = decodeRun(raw, i + 1, end);
    if (units === null) return null;
    out += units;
    i = end + 1;
  }
  return out;
}

function decodeRun(raw: string, start: number, end: number): string | null {
  let bits = 0;
  let nbits = 0;
  const units: number[] = [];
  for (let j = start; j < end; j++) {
    const code = raw.charCodeAt(j);
    const v = code < 128 ? (B64_VALUE[code] as number) : -1;
    if (v < 0) return null;
    bits = ((bits << 6) | v) & 0xffffff;
    nbits += 6;
    if (nbits >= 16) {
      nbits -= 16;
      units.push((bits >> nbits) & 0xffff);
    }
  }
  // leftover bits must be fewer than 6 and zero
  if (nbits >= 6 || (bits & ((1 << nbits) - 1)) !== 0 || units.length === 0) return null;
  let text = '';
  for (let k = 0; k < units.length; k++) {
    const u = units[k] as number;
    if (u >= 0xd800 && u <= 0xdbff) {
      const low = units[k + 1] ?? 0;
      if (low < 0xdc00 || low > 0xdfff) return null;
      text += String.fromCharCode(u, low);
      k++;
    } else if (u >= 0xdc00 && u <= 0xdfff) {
      return null;
    } else {
      text += String.fromCharCode(u);
    }
  }
  return text;
}

/** A mailbox name as it appeared on the wire, with its decoded form (the raw one if not mUTF-7). */
export function mailboxName(raw: string): MailboxName {
  return { name: decodeModifiedUtf7(raw) ?? raw, raw };
}
