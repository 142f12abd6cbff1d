/**
 * Just enough of RFC 5322 and RFC 2047 to name a message in the audit trail: its Subject and
 * Message-ID from a header block (a literal preview, possibly cut short), with encoded words
 * (`=?UTF-8?B?…?=`, `=?ISO-8859-1?Q?…?=`) decoded.
 */

const ENCODED_WORD = /=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=/g;

function decoder(charset: string): { decode(bytes: Uint8Array): string } {
  try {
    return new TextDecoder(charset.replace(/\*.*$/, ''), { fatal: false });
  } catch {
    return new TextDecoder('latin1');
  }
}

/**
 * Decodes RFC 2047 encoded words; whitespace between two adjacent encoded words is dropped
 * (§6.2). A word in an unknown charset is decoded as Latin-1; a malformed word is left as is.
 */
export function decodeHeaderWords(value: string): string {
  const joined = value.replace(/(\?=)\s+(?==\?)/g, '$1');
  return joined.replace(ENCODED_WORD, (word, charset: string, enc: string, data: string) => {
    let bytes: Uint8Array;
    if (enc.toUpperCase() === 'B') {
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(data)) return word;
      bytes = Buffer.from(data, 'base64');
    } else {
      const text = data.replace(/_/g, ' ');
      const out: number[] = [];
      for (let i = 0; i < text.length; i++) {
        const hex = text[i] === '=' ? text.slice(i + 1, i + 3) : '';
        if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
          out.push(parseInt(hex, 16));
          i += 2;
        } else out.push(text.charCodeAt(i) & 0xff);
      }
      bytes = Uint8Array.from(out);
    }
    return decoder(charset).decode(bytes);
  });
}

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
