import type { Message } from '../../shared/messages.ts';
import { messageLiterals } from '../../shared/message-literals.ts';

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
