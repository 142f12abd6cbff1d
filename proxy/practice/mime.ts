/**
 * Builds the raw RFC 5322 / MIME source of the practice server's sample
 * messages. Deterministic: the same letter always gives the same bytes, so
 * sizes, UIDs and BODYSTRUCTURE answers are stable across runs.
 *
 * Every raw message is 7-bit ASCII with CRLF line ends: non-ASCII text is
 * carried as RFC 2047 encoded-words (headers) or quoted-printable (bodies),
 * which is what a learner sees on the wire.
 */

/** A mailbox address; `name` may hold any Unicode and is encoded when it needs to be. */
export interface Address {
  name: string;
  address: string;
}

/** A file attached to a letter (a multipart/mixed part, base64 on the wire). */
export interface Attachment {
  filename: string;
  contentType: string;
  data: Buffer;
}

/** One sample message, before it becomes raw MIME. */
export interface Letter {
  /** Local part of the Message-ID (`<id@imapscope.test>`). */
  id: string;
  from: Address;
  to: Address[];
  /** Unicode; sent as encoded-words when not plain ASCII. */
  subject: string;
  /** ISO 8601 instant; used for the Date header and the INTERNALDATE. */
  date: string;
  /** Plain text with `\n` line ends; sent as quoted-printable when not plain ASCII. */
  text: string;
  /** When present, the message becomes multipart/alternative (text + HTML). */
  html?: string;
  attachment?: Attachment;
  /** Message-ID local part this letter answers (In-Reply-To and References). */
  inReplyTo?: string;
  flags?: string[];
}

/** Domain of every sample Message-ID; `.test` is reserved (RFC 2606), so none can leak to real mail. */
export const SAMPLE_DOMAIN = 'imapscope.test';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const CRLF = '\r\n';

const pad2 = (n: number): string => String(n).padStart(2, '0');

function clock(d: Date): string {
  return `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;
}

function parseInstant(iso: string): Date {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) throw new TypeError(`not an ISO 8601 instant: ${iso}`);
  return date;
}

/** RFC 5322 date in UTC: `Mon, 01 Sep 2025 08:00:00 +0000`. */
export function rfc5322Date(iso: string): string {
  const d = parseInstant(iso);
  const month = MONTHS[d.getUTCMonth()] ?? 'Jan';
  const weekday = WEEKDAYS[d.getUTCDay()] ?? 'Mon';
  return `${weekday}, ${pad2(d.getUTCDate())} ${month} ${d.getUTCFullYear()} ${clock(d)} +0000`;
}

/** IMAP date-time in UTC (`01-Sep-2025 08:00:00 +0000`), the form INTERNALDATE and APPEND use. */
export function imapDate(iso: string): string {
  const d = parseInstant(iso);
  const month = MONTHS[d.getUTCMonth()] ?? 'Jan';
  return `${pad2(d.getUTCDate())}-${month}-${d.getUTCFullYear()} ${clock(d)} +0000`;
}

const NOT_PLAIN_ASCII = /[^\x20-\x7e]/;

/**
 * RFC 2047 B-encoded words for a header value. Plain ASCII is returned as is.
 * Each word carries at most 45 bytes of UTF-8 (72 characters encoded, under
 * the 75 RFC 2047 allows), split on code points so no character is cut; words
 * are joined by a folding CRLF + space, which decoders drop between words.
 */
export function encodeHeaderWords(value: string): string {
  if (!NOT_PLAIN_ASCII.test(value)) return value;
  const words: string[] = [];
  let chunk = '';
  for (const ch of value) {
    if (Buffer.byteLength(chunk + ch) > 45) {
      words.push(chunk);
      chunk = '';
    }
    chunk += ch;
  }
  if (chunk) words.push(chunk);
  return words
    .map((w) => `=?UTF-8?B?${Buffer.from(w, 'utf8').toString('base64')}?=`)
    .join(`${CRLF} `);
}

function formatAddress({ name, address }: Address): string {
  if (NOT_PLAIN_ASCII.test(name)) return `${encodeHeaderWords(name)} <${address}>`;
  // Quote display names holding RFC 5322 specials (a comma in "Berg, Jonas").
  return /[()<>[\]:;@\\,."]/.test(name)
    ? `"${name.replace(/["\\]/g, '\\$&')}" <${address}>`
    : `${name} <${address}>`;
}

/**
 * Quoted-printable (RFC 2045) of UTF-8 text with `\n` line ends. Bytes outside
 * printable ASCII and `=` become `=XX`; trailing spaces are encoded; encoded
 * lines longer than 76 characters get soft breaks (`=` at the end), never
 * inside an `=XX` triple.
 */
export function quotedPrintable(text: string): string {
  return text
    .split('\n')
    .map((line) => {
      const bytes = Buffer.from(line, 'utf8');
      const tokens: string[] = [];
      bytes.forEach((b, i) => {
        const last = i === bytes.length - 1;
        const plain = b >= 0x21 && b <= 0x7e && b !== 0x3d;
        const space = b === 0x20 && !last;
        tokens.push(
          plain || space
            ? String.fromCharCode(b)
            : `=${b.toString(16).toUpperCase().padStart(2, '0')}`,
        );
      });
      const out: string[] = [];
      let current = '';
      for (const token of tokens) {
        if (current.length + token.length > 75) {
          out.push(`${current}=`);
          current = '';
        }
        current += token;
      }
      out.push(current);
      return out.join(CRLF);
    })
    .join(CRLF);
}

/** Base64 in lines of 76 characters, as MIME bodies carry it. */
export function base64Lines(data: Buffer): string {
  return (data.toString('base64').match(/.{1,76}/g) ?? []).join(CRLF);
}

function textPart(text: string, subtype: 'plain' | 'html'): string[] {
  if (NOT_PLAIN_ASCII.test(text.replace(/\n/g, ''))) {
    return [
      `Content-Type: text/${subtype}; charset=utf-8`,
      'Content-Transfer-Encoding: quoted-printable',
      '',
      quotedPrintable(text),
    ];
  }
  return [
    `Content-Type: text/${subtype}; charset=us-ascii`,
    'Content-Transfer-Encoding: 7bit',
    '',
    text.split('\n').join(CRLF),
  ];
}

function multipart(
  subtype: 'mixed' | 'alternative',
  boundary: string,
  parts: string[][],
): string[] {
  return [
    `Content-Type: multipart/${subtype}; boundary="${boundary}"`,
    '',
    'This is a multi-part message in MIME format.',
    ...parts.flatMap((part) => [`--${boundary}`, ...part]),
    `--${boundary}--`,
    '',
  ];
}

/**
 * The raw source of a letter: CRLF line ends, 7-bit ASCII only (so the
 * latin1 "binary" strings hoodiecrow stores are the exact bytes).
 */
export function buildRawMessage(letter: Letter): string {
  const headers = [
    `From: ${formatAddress(letter.from)}`,
    `To: ${letter.to.map(formatAddress).join(', ')}`,
    `Subject: ${encodeHeaderWords(letter.subject)}`,
    `Date: ${rfc5322Date(letter.date)}`,
    `Message-ID: <${letter.id}@${SAMPLE_DOMAIN}>`,
  ];
  if (letter.inReplyTo) {
    headers.push(`In-Reply-To: <${letter.inReplyTo}@${SAMPLE_DOMAIN}>`);
    headers.push(`References: <${letter.inReplyTo}@${SAMPLE_DOMAIN}>`);
  }
  headers.push('MIME-Version: 1.0');

  let body: string[] = textPart(letter.text, 'plain');
  if (letter.html !== undefined) {
    body = multipart('alternative', `alt-${letter.id}`, [body, textPart(letter.html, 'html')]);
  }
  if (letter.attachment) {
    const { filename, contentType, data } = letter.attachment;
    body = multipart('mixed', `mixed-${letter.id}`, [
      body,
      [
        `Content-Type: ${contentType}; name="${filename}"`,
        `Content-Disposition: attachment; filename="${filename}"`,
        'Content-Transfer-Encoding: base64',
        '',
        base64Lines(data),
      ],
    ]);
  }
  const raw = [...headers, ...body].join(CRLF);
  return raw.endsWith(CRLF) ? raw : raw + CRLF;
}

/**
 * A one-page PDF that shows `lines` in Helvetica: small (well under 1 KB) and
 * valid, with a correct cross-reference table, so a viewer can open it.
 */
export function tinyPdf(lines: string[]): Buffer {
  const escape = (s: string): string => s.replace(/[\\()]/g, '\\$&');
  const text = lines
    .map((line, i) => `${i === 0 ? '' : '0 -22 Td '}(${escape(line)}) Tj`)
    .join('\n');
  const stream = `BT /F1 16 Tf 24 110 Td\n${text}\nET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 320 144] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let pdf = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(pdf.length);
    pdf += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = pdf.length;
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  pdf += offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('');
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(pdf, 'latin1');
}
