/** Test messages: well-formed RFC 5322 with CRLF line ends, of a chosen size. */
import { createHash, randomBytes } from 'node:crypto';

/**
 * A message of exactly `size` bytes (at least a few hundred): headers, then a body of
 * 76-character base64 lines of random bytes, each line ending in CRLF. Random content keeps
 * any accidental compression or caching from making a transfer look faster or smaller.
 */
export function makeMessage(size: number, subject = `test message of ${size} bytes`): Buffer {
  const header = Buffer.from(
    [
      'From: Sender <sender@example.test>',
      'To: Test <test@example.test>',
      `Subject: ${subject}`,
      'Date: Wed, 26 Nov 2025 12:00:00 +0000',
      `Message-ID: <${randomBytes(8).toString('hex')}@example.test>`,
      'MIME-Version: 1.0',
      'Content-Type: application/octet-stream',
      'Content-Transfer-Encoding: base64',
      '',
      '',
    ].join('\r\n'),
  );
  if (size < header.length + 2) throw new Error(`makeMessage: ${size} bytes is too small`);
  const bodySize = size - header.length;
  const line = 78; // 76 base64 characters and CRLF
  const fullLines = Math.floor(bodySize / line);
  const b64 = randomBytes(Math.ceil((bodySize * 3) / 4) + 3).toString('base64');
  const body = Buffer.alloc(bodySize);
  let pos = 0;
  for (let i = 0; i < fullLines; i++) {
    body.write(b64.slice(i * 76, i * 76 + 76), pos, 'latin1');
    body.write('\r\n', pos + 76, 'latin1');
    pos += line;
  }
  const rest = bodySize - pos;
  if (rest > 0) {
    // The last line: fewer characters, still ending in CRLF (a lone byte becomes a CRLF's LF).
    const chars = Math.max(0, rest - 2);
    body.write(b64.slice(fullLines * 76, fullLines * 76 + chars), pos, 'latin1');
    if (rest >= 2) body.write('\r\n', pos + chars, 'latin1');
    else body.write('\n', pos, 'latin1');
  }
  return Buffer.concat([header, body]);
}

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}
