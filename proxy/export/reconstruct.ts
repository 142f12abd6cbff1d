import type { Message, LiteralRef, Token } from '../../shared/messages.ts';

/** Every literal of a token tree, in document order. */
export function literalsOf(tokens: readonly Token[], into: LiteralRef[] = []): LiteralRef[] {
  for (const t of tokens) {
    if (t.type === 'literal') into.push(t.literal);
    else if (t.type === 'list') literalsOf(t.items, into);
  }
  return into;
}

/** Literals of any message: command arguments, FETCH bodies and other response data. */
export function messageLiterals(m: Message): LiteralRef[] {
  const out: LiteralRef[] = [];
  const walk = (v: unknown): void => {
    if (v === null || typeof v !== 'object' || v instanceof Uint8Array) return;
    if (Array.isArray(v)) {
      for (const x of v) walk(x);
      return;
    }
    const o = v as Record<string, unknown>;
    if (o.type === 'literal' && typeof o.literal === 'object' && o.literal !== null) {
      out.push(o.literal as LiteralRef);
      return;
    }
    for (const k of Object.keys(o)) if (k !== 'raw') walk(o[k]);
  };
  walk(m);
  return out.sort((a, b) => a.offset - b.offset);
}

/**
 * The stream bytes of a decoded message, rebuilt from its `raw` text and its literals' previews
 * (the bodies themselves are never kept): exact when every literal fits its preview, else the
 * literals are cut to their previews. Ends with the line end the message had.
 */
export function messageBytes(m: Message): { bytes: Buffer; exact: boolean } {
  const raw = Buffer.from(m.raw, 'utf8');
  const eol = Buffer.from(m.bareLf ? '\n' : '\r\n');
  const literals = messageLiterals(m).filter((l) => !l.refused);
  let exact = true;
  const parts: Buffer[] = [];
  let rawPos = 0;
  let streamPos = m.offset;
  for (const lit of literals) {
    const segLen = lit.offset - streamPos;
    if (segLen < 0 || rawPos + segLen > raw.length) {
      exact = false;
      break;
    }
    parts.push(raw.subarray(rawPos, rawPos + segLen));
    rawPos += segLen;
    parts.push(Buffer.from(lit.preview));
    if (lit.preview.length < lit.size) exact = false;
    streamPos = lit.offset + lit.size;
  }
  parts.push(raw.subarray(rawPos), eol);
  return { bytes: Buffer.concat(parts), exact };
}
