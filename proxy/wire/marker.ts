/**
 * Byte-level checks the framer runs on a finished line: does it announce a literal, and is it
 * a server line whose grammar cannot hold one. No strings are built on the hot path.
 */
import type { LiteralKind } from '../../shared/messages.ts';

export interface LiteralMarker {
  kind: LiteralKind;
  literal8: boolean;
  size: number;
  /** Index of `{` (or of `~` for literal8) in the line. */
  start: number;
}

const SP = 0x20;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN = 0x7b;
const CLOSE = 0x7d;
const PLUS = 0x2b;
const TILDE = 0x7e;
const ZERO = 0x30;
const NINE = 0x39;
/** Sizes past 2^53 cannot be counted exactly; such a marker is not taken as a literal. */
const MAX_SIZE_DIGITS = 15;

/**
 * The literal marker at the very end of `line` (`{n}`, `{n+}`, `~{n}`, `~{n+}`), or null.
 * `{n-}` is not literal syntax (LITERAL- of RFC 7888 uses `{n+}` too): it is an atom, so the
 * line ends there. Leading zeros are allowed; more than 15 significant digits is not a marker. With
 * `checkQuotes`, a marker inside a quoted string left open on this line is not a marker.
 */
export function findLiteralMarker(line: Buffer, checkQuotes: boolean): LiteralMarker | null {
  const end = line.length;
  if (end < 3 || line[end - 1] !== CLOSE) return null;
  let i = end - 2;
  let kind: LiteralKind = 'sync';
  const sign = line[i];
  if (sign === PLUS) {
    kind = 'nonsync';
    i--;
  }
  const digitsEnd = i + 1;
  while (i >= 0) {
    const c = line[i] as number;
    if (c < ZERO || c > NINE) break;
    i--;
  }
  const digitsStart = i + 1;
  if (digitsStart === digitsEnd || i < 0 || line[i] !== OPEN) return null;
  let significant = digitsStart;
  while (significant < digitsEnd - 1 && line[significant] === ZERO) significant++;
  if (digitsEnd - significant > MAX_SIZE_DIGITS) return null;
  let size = 0;
  for (let d = significant; d < digitsEnd; d++) size = size * 10 + ((line[d] as number) - ZERO);
  const literal8 = i > 0 && line[i - 1] === TILDE;
  const start = literal8 ? i - 1 : i;
  if (checkQuotes && insideQuote(line, start)) return null;
  return { kind, literal8, size, start };
}

/** Whether position `upTo` of `line` lies inside a quoted string opened earlier on the line. */
function insideQuote(line: Buffer, upTo: number): boolean {
  let i = line.indexOf(QUOTE);
  while (i !== -1 && i < upTo) {
    // inside a quoted string: find its closing quote, skipping \" and \\
    let j = i + 1;
    for (; j < upTo; j++) {
      const c = line[j];
      if (c === BACKSLASH) j++;
      else if (c === QUOTE) break;
    }
    if (j >= upTo) return true;
    i = line.indexOf(QUOTE, j + 1);
  }
  return false;
}

const STATUS_WORDS = ['OK', 'NO', 'BAD', 'BYE', 'PREAUTH'].map((w) => Buffer.from(w));

/**
 * Whether a server line is a continuation (`+...`) or a status response (`tag OK|NO|BAD|BYE|PREAUTH`,
 * any case): their text is free text, so a trailing `{4}` there is not a literal.
 */
export function isStatusOrContinuation(line: Buffer): boolean {
  if (line[0] === PLUS) return true;
  const sp = line.indexOf(SP);
  if (sp <= 0) return false;
  let end = line.indexOf(SP, sp + 1);
  if (end === -1) end = line.length;
  const len = end - sp - 1;
  for (const word of STATUS_WORDS) {
    if (word.length !== len) continue;
    let k = 0;
    while (k < len && ((line[sp + 1 + k] as number) & 0xdf) === word[k]) k++;
    if (k === len) return true;
  }
  return false;
}
