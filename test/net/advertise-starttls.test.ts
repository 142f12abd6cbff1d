import { describe, expect, it } from 'vitest';
import { StarttlsAdvertiser, withStarttls } from '../../proxy/net/advertise-starttls.ts';
import { MAX_LINE_BYTES } from '../../proxy/limits.ts';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

/** `data` whole, byte by byte, and at every split point into two. */
function splits(data: Buffer): Buffer[][] {
  const ways: Buffer[][] = [[data], [...data].map((x) => Buffer.from([x]))];
  for (let i = 1; i < data.length; i++) ways.push([data.subarray(0, i), data.subarray(i)]);
  return ways;
}

function through(parts: Buffer[]): { out: string; added: number } {
  const a = new StarttlsAdvertiser();
  const out = parts.map((p) => a.push(p));
  return { out: Buffer.concat([...out, a.flush()]).toString('latin1'), added: a.added };
}

describe('withStarttls', () => {
  it('adds STARTTLS to a greeting code and an untagged CAPABILITY, once', () => {
    expect(withStarttls('* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] Dovecot ready.\r\n')).toBe(
      '* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN STARTTLS] Dovecot ready.\r\n',
    );
    expect(withStarttls('* CAPABILITY IMAP4rev1 IDLE\r\n')).toBe(
      '* CAPABILITY IMAP4rev1 IDLE STARTTLS\r\n',
    );
    expect(withStarttls('* capability IMAP4rev1 starttls\r\n')).toBe(
      '* capability IMAP4rev1 starttls\r\n',
    );
    expect(withStarttls('* OK [CAPABILITY IMAP4rev1 no closing bracket\r\n')).toBe(
      '* OK [CAPABILITY IMAP4rev1 no closing bracket\r\n',
    );
  });
});

describe('StarttlsAdvertiser', () => {
  const session = b(
    '* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r\n' +
      '* ID ("name" {14}\r\n* CAPABILITY x)\r\n' +
      'a1 OK done\r\n' +
      '* CAPABILITY IMAP4rev1 SASL-IR\r\n' +
      'a2 OK [CAPABILITY IMAP4rev1] listed\r\n',
  );
  const shown =
    '* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN STARTTLS] ready\r\n' +
    '* ID ("name" {14}\r\n* CAPABILITY x)\r\n' +
    'a1 OK done\r\n' +
    '* CAPABILITY IMAP4rev1 SASL-IR STARTTLS\r\n' +
    'a2 OK [CAPABILITY IMAP4rev1] listed\r\n';

  it('rewrites only capability responses, never a literal body, however the bytes are split', () => {
    for (const parts of splits(session)) expect(through(parts)).toEqual({ out: shown, added: 2 });
  });

  it('holds only a line that starts like a capability response, and only until its LF', () => {
    const a = new StarttlsAdvertiser();
    expect(a.push(b('* 3 EXISTS\r\n* OK still')).toString()).toBe('* 3 EXISTS\r\n* OK still');
    expect(a.push(b(' going\r\n* CAPAB')).toString()).toBe(' going\r\n');
    expect(a.push(b('ILITY IMAP4rev1')).toString()).toBe('');
    expect(a.push(b('\r\n')).toString()).toBe('* CAPABILITY IMAP4rev1 STARTTLS\r\n');
  });

  it('passes an over-long line on unchanged, and everything after flush', () => {
    const long = b(`* CAPABILITY ${'X'.repeat(MAX_LINE_BYTES + 10)}\r\n`);
    for (const at of [20, long.length - 1]) {
      const { out, added } = through([long.subarray(0, at), long.subarray(at)]);
      expect(out === long.toString('latin1') && added === 0).toBe(true);
    }
    const a = new StarttlsAdvertiser();
    expect(a.push(b('* CAPABILITY A')).length).toBe(0);
    expect(a.flush().toString()).toBe('* CAPABILITY A');
    expect(a.push(b(' B\r\n* CAPABILITY C\r\n')).toString()).toBe(' B\r\n* CAPABILITY C\r\n');
  });
});
