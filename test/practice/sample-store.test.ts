import { describe, expect, it } from 'vitest';

import { INVOICE_PDF } from '../../proxy/practice/correspondence.ts';
import {
  buildRawMessage,
  encodeHeaderWords,
  imapDate,
  quotedPrintable,
  rfc5322Date,
} from '../../proxy/practice/mime.ts';
import {
  SAMPLE_MAILBOXES,
  buildSampleStore,
  encodeMailboxName,
} from '../../proxy/practice/sample-store.ts';

function allRawMessages(): string[] {
  const raws: string[] = [];
  const walk = (box: { messages?: { raw: string }[]; folders?: Record<string, unknown> }): void => {
    for (const m of box.messages ?? []) raws.push(m.raw);
    for (const child of Object.values(box.folders ?? {})) walk(child as typeof box);
  };
  for (const ns of Object.values(buildSampleStore())) walk(ns);
  return raws;
}

describe('the sample store', () => {
  it('is the same every time it is built', () => {
    expect(buildSampleStore()).toEqual(buildSampleStore());
  });

  it('returns a fresh object each time, since hoodiecrow mutates it', () => {
    const a = buildSampleStore();
    const b = buildSampleStore();
    a.INBOX?.messages?.pop();
    expect(b.INBOX?.messages).toHaveLength(30);
  });

  it('stays under 200 KB in total', () => {
    const bytes = allRawMessages().reduce((sum, raw) => sum + raw.length, 0);
    expect(bytes).toBeLessThan(200 * 1024);
  });

  it('holds only 7-bit ASCII messages with CRLF line ends', () => {
    for (const raw of allRawMessages()) {
      expect(raw).toMatch(/^[\x20-\x7e\r\n\t]*$/);
      expect(raw.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    }
  });

  it('documents every mailbox with its count and wire name', () => {
    expect(SAMPLE_MAILBOXES.map((b) => [b.path, b.wirePath, b.messages])).toEqual([
      ['INBOX', 'INBOX', 30],
      ['Sent', 'Sent', 4],
      ['Drafts', 'Drafts', 2],
      ['Trash', 'Trash', 3],
      ['Archive', 'Archive', 3],
      ['Archive/2025', 'Archive/2025', 5],
      ['Reçus', 'Re&AOc-us', 3],
    ]);
  });
});

describe('encodeMailboxName (modified UTF-7)', () => {
  it('encodes the examples of RFC 3501 and the lessons', () => {
    expect(encodeMailboxName('Reçus')).toBe('Re&AOc-us');
    expect(encodeMailboxName('Entwürfe')).toBe('Entw&APw-rfe');
    expect(encodeMailboxName('~peter/mail/台北/日本語')).toBe('~peter/mail/&U,BTFw-/&ZeVnLIqe-');
    expect(encodeMailboxName('Tom & Jerry')).toBe('Tom &- Jerry');
  });
});

describe('MIME helpers', () => {
  it('format dates in UTC for the Date header and INTERNALDATE', () => {
    expect(rfc5322Date('2025-09-01T08:12:00Z')).toBe('Mon, 01 Sep 2025 08:12:00 +0000');
    expect(imapDate('2025-09-01T08:12:00Z')).toBe('01-Sep-2025 08:12:00 +0000');
  });

  it('leave ASCII subjects alone and encode others as encoded-words of at most 75 characters', () => {
    expect(encodeHeaderWords('Hello')).toBe('Hello');
    const encoded = encodeHeaderWords('Grüße '.repeat(20));
    for (const word of encoded.split('\r\n ')) {
      expect(word).toMatch(/^=\?UTF-8\?B\?[A-Za-z0-9+/=]+\?=$/);
      expect(word.length).toBeLessThanOrEqual(75);
    }
    const decoded = encoded
      .split('\r\n ')
      .map((w) => Buffer.from(w.slice(10, -2), 'base64').toString('utf8'))
      .join('');
    expect(decoded).toBe('Grüße '.repeat(20));
  });

  it('write quoted-printable with soft breaks at most 76 characters long', () => {
    expect(quotedPrintable('Grüße = 1 ')).toBe('Gr=C3=BC=C3=9Fe =3D 1=20');
    for (const line of quotedPrintable('ü'.repeat(100)).split('\r\n')) {
      expect(line.length).toBeLessThanOrEqual(76);
    }
  });

  it('build a multipart/mixed message around an attachment', () => {
    const raw = buildRawMessage({
      id: 't',
      from: { name: 'A', address: 'a@example.org' },
      to: [{ name: 'B', address: 'b@example.org' }],
      subject: 's',
      date: '2025-01-01T00:00:00Z',
      text: 'hi',
      attachment: { filename: 'f.pdf', contentType: 'application/pdf', data: INVOICE_PDF },
    });
    expect(raw).toContain('Content-Type: multipart/mixed; boundary="mixed-t"');
    expect(raw).toContain('Content-Disposition: attachment; filename="f.pdf"');
    expect(raw).toContain('--mixed-t--');
  });

  it('produce a PDF whose cross-reference offsets point at its objects', () => {
    const pdf = INVOICE_PDF.toString('latin1');
    const start = Number(/startxref\n(\d+)/.exec(pdf)?.[1]);
    expect(pdf.slice(start, start + 4)).toBe('xref');
    const offsets = [...pdf.matchAll(/^(\d{10}) 00000 n $/gm)].map((m) => Number(m[1]));
    offsets.forEach((offset, i) =>
      expect(pdf.slice(offset)).toMatch(new RegExp(`^${i + 1} 0 obj`)),
    );
  });
});
