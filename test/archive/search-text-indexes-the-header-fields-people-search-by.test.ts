import { describe, expect, it } from 'vitest';
import { headerText } from '../../proxy/archive/search-text.ts';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

describe("the session list's search text of a literal preview", () => {
  it('keeps Subject, From, To, Date and Message-ID, decoded and unfolded, and drops trace fields', () => {
    const text = headerText(
      bytes(
        'Received: from mx.example.org by mail.example.org; Tue, 1 Dec 2026\r\n' +
          'DKIM-Signature: v=1; b=AAAA\r\n' +
          'Subject: =?UTF-8?B?UmVjaG51bmc=?= for\r\n December\r\n' +
          'From: Alice <alice@example.org>\r\nTo: bob@example.org\r\n' +
          'Date: Tue, 1 Dec 2026 10:00:00 +0000\r\nMessage-ID: <m1@example.org>\r\n\r\nbody',
      ),
    );
    expect(text.split('\n')).toEqual([
      'Subject: Rechnung for December',
      'From: Alice <alice@example.org>',
      'To: bob@example.org',
      'Date: Tue, 1 Dec 2026 10:00:00 +0000',
      'Message-ID: <m1@example.org>',
    ]);
  });

  it('gives nothing for a preview that is not a header block', () => {
    expect(headerText(bytes('just a body part\r\n'))).toBe('');
  });
});
