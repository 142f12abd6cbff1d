import { describe, expect, it } from 'vitest';
import { decodeModifiedUtf7, mailboxName } from '../../proxy/wire/index.ts';

describe('modified UTF-7', () => {
  it.each([
    ['INBOX', 'INBOX'],
    ['~peter/mail/&U,BTFw-/&ZeVnLIqe-', '~peter/mail/台北/日本語'],
    ['Entw&APw-rfe', 'Entwürfe'],
    ['Tom &- Jerry', 'Tom & Jerry'],
    ['&2D3eAA-', '\u{1F600}'],
  ])('decodes %s', (raw, name) => {
    expect(decodeModifiedUtf7(raw)).toBe(name);
  });

  it.each(['&Jjo', '&Jjo!-', '&2D0-', 'caf\u00e9', '&AGE'])('refuses %s', (raw) => {
    expect(decodeModifiedUtf7(raw)).toBeNull();
  });

  it('keeps the raw form beside the decoded one, and the raw one when it is not mUTF-7', () => {
    expect(mailboxName('&ZeVnLIqe-')).toEqual({ name: '日本語', raw: '&ZeVnLIqe-' });
    expect(mailboxName('&bad')).toEqual({ name: '&bad', raw: '&bad' });
  });
});
