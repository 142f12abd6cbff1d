/**
 * Just enough of RFC 5322 and RFC 2047 to name a message in the audit trail: its Subject and
 * Message-ID from a header block (a literal preview, possibly cut short), with encoded words
 * (`=?UTF-8?B?…?=`, `=?ISO-8859-1?Q?…?=`) decoded.
 */
import { decodeEncodedWords } from '../../shared/encoded-words.ts';

/** RFC 2047 encoded words decoded (shared with the viewer's literal previews). */
export const decodeHeaderWords = decodeEncodedWords;

/**
 * Subject (decoded) and Message-ID of a header block. Stops at the empty line that ends the
 * header; folded lines are unfolded; a field cut off by the end of the bytes is taken as far
 * as it goes. Raw bytes are read as UTF-8 (RFC 6532), falling back to Latin-1.
 */
export function headerFields(bytes: Uint8Array): {
  subject: string | null;
  messageId: string | null;
} {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    text = new TextDecoder('latin1').decode(bytes);
  }
  const end = text.search(/\r?\n\r?\n/);
  const head = (end === -1 ? text : text.slice(0, end)).replace(/\r?\n[ \t]+/g, ' ');
  let subject: string | null = null;
  let messageId: string | null = null;
  for (const line of head.split(/\r?\n/)) {
    const m = /^([A-Za-z0-9-]+):[ \t]*(.*)$/.exec(line);
    if (!m) continue;
    const name = m[1]!.toLowerCase();
    if (name === 'subject' && subject === null) subject = decodeHeaderWords(m[2]!.trim());
    else if (name === 'message-id' && messageId === null) messageId = m[2]!.trim() || null;
  }
  return { subject, messageId };
}
