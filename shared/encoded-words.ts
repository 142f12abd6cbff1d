/**
 * RFC 2047 encoded words in header values (`=?UTF-8?B?R3LDvMOfZQ==?=`, `=?iso-8859-1?Q?Gr=FC=DFe?=`),
 * decoded for display. An encoded word that cannot be decoded (unknown charset, bad base64) is
 * shown as it came; whitespace between two adjacent encoded words is dropped (RFC 2047 §6.2).
 */
const ENCODED_WORD = /=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=/g;
const BETWEEN_WORDS = /(\?=)[ \t\r\n]+(?==\?[^?\s]+\?[BbQq]\?)/g;

export function decodeEncodedWords(value: string): string {
  if (!value.includes('=?')) return value;
  return value
    .replace(BETWEEN_WORDS, '$1')
    .replace(ENCODED_WORD, (word, charset: string, enc: string, text: string) => {
      const bytes = enc.toUpperCase() === 'B' ? fromBase64(text) : fromQ(text);
      if (bytes === null) return word;
      try {
        // RFC 2231 allows a language after `*` (`UTF-8*en`).
        const label = charset.split('*')[0]!;
        return new TextDecoder(label, { fatal: false }).decode(bytes);
      } catch {
        return word;
      }
    });
}

function fromBase64(text: string): Uint8Array | null {
  try {
    const bin = atob(text);
    return Uint8Array.from(bin, (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

/** The Q encoding: `_` is a space, `=XX` a byte, the rest ASCII as is. */
function fromQ(text: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    const hex = c === '=' ? text.slice(i + 1, i + 3) : '';
    if (c === '_') out.push(0x20);
    else if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
      out.push(parseInt(hex, 16));
      i += 2;
    } else out.push(c.charCodeAt(0) & 0xff);
  }
  return Uint8Array.from(out);
}
