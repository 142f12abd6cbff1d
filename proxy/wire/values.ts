/**
 * Reading typed values out of tokens, for the response decoders. A token of the wrong shape
 * fails the message (see tokens.ts `fail`), so it is reported as Malformed.
 */
import type { LiteralRef, Token } from '../../shared/messages.ts';
import { fail } from './tokens.ts';

/** The text of a literal's preview (UTF-8); a literal longer than its preview yields the preview. */
export function literalText(ref: LiteralRef): string {
  const p = ref.preview;
  return Buffer.from(p.buffer, p.byteOffset, p.byteLength).toString('utf8');
}

/** astring / nstring / number as text; NIL (or no token) is null. */
export function nstr(tok: Token | undefined): string | null {
  if (tok === undefined) return null;
  switch (tok.type) {
    case 'quoted':
    case 'atom':
    case 'sequence-set':
      return tok.value;
    case 'literal':
      return literalText(tok.literal);
    case 'number':
      return String(tok.value);
    case 'nil':
      return null;
    default:
      return fail(`expected a string, got a ${tok.type}`);
  }
}

/** Like {@link nstr} but NIL is not allowed. */
export function str(tok: Token | undefined): string {
  const s = nstr(tok);
  if (s === null) fail('expected a string, got NIL');
  return s;
}

export function num(tok: Token | undefined): number {
  if (tok?.type !== 'number') fail(`expected a number, got ${tok?.type ?? 'nothing'}`);
  return tok.value;
}

/** A number that may exceed 2^53 (mod-sequences): kept as its decimal text. */
export function bigNum(tok: Token | undefined): string {
  if (tok?.type === 'number') return String(tok.value);
  if (tok?.type === 'atom' && /^\d+$/.test(tok.value)) return tok.value;
  return fail(`expected a number, got ${tok?.type ?? 'nothing'}`);
}

export function items(tok: Token | undefined): Token[] {
  if (tok?.type !== 'list') fail(`expected a list, got ${tok?.type ?? 'nothing'}`);
  return tok.items;
}

/** NIL or a list. */
export function nitems(tok: Token | undefined): Token[] | null {
  return tok === undefined || tok.type === 'nil' ? null : items(tok);
}

/** A list of atoms/strings (flags, capabilities). */
export function strings(tok: Token | undefined): string[] {
  return items(tok).map(str);
}

/**
 * A flag list (FLAGS, FETCH FLAGS, LIST attributes): a flag is an atom, so the keyword NIL in
 * `(\Seen NIL)` is the flag "NIL", not nil (RFC 9051 §9: flag-keyword = atom).
 */
export function flags(tok: Token | undefined): string[] {
  return items(tok).map((t) => (t.type === 'nil' ? 'NIL' : str(t)));
}

/** A count that may be written past 15 digits (QUOTA usage, STATUS SIZE): a number either way. */
export function count(tok: Token | undefined): number {
  if (tok?.type === 'atom' && /^\d+$/.test(tok.value)) return Number(tok.value);
  return num(tok);
}

/** `(key value key value)` → record; NIL → null. */
export function params(tok: Token | undefined): Record<string, string> | null {
  const list = nitems(tok);
  if (list === null) return null;
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < list.length; i += 2) out[str(list[i])] = nstr(list[i + 1]) ?? '';
  return out;
}

/** A number or a string value (ESEARCH and STATUS items). */
export function scalar(tok: Token | undefined): number | string {
  if (tok?.type === 'number') return tok.value;
  return str(tok);
}
