import { describe, expect, it } from 'vitest';
import { SessionPipeline } from '../../proxy/inspection/pipeline.ts';
import { classifyHead, maskRawAfter, plainSaslUser } from '../../proxy/session/redact.ts';
import { GREETING, run, type Step } from './dialog.ts';

const PASSWORD = 'S3cr3t-pw';
const PLAIN = Buffer.from(`\0alice\0${PASSWORD}`).toString('base64');

/** Every event as JSON, with literal previews spelled out as text. */
function everything(events: unknown[]): string {
  return JSON.stringify(events, (_k, v: unknown) =>
    v instanceof Uint8Array ? Buffer.from(v).toString('latin1') : v,
  );
}

const dialogs: Record<string, Step[]> = {
  'LOGIN with an atom password': [GREETING, `C:a1 LOGIN alice ${PASSWORD}\r\n`, 'S:a1 OK done\r\n'],
  'LOGIN with a quoted password': [
    GREETING,
    `C:a1 LOGIN "alice" "${PASSWORD}"\r\n`,
    'S:a1 OK done\r\n',
  ],
  'LOGIN with literals': [
    GREETING,
    'C:a1 LOGIN {5}\r\n',
    'S:+ ok\r\n',
    `C:alice {${PASSWORD.length}}\r\n`,
    'S:+ ok\r\n',
    `C:${PASSWORD}\r\n`,
    'S:a1 OK done\r\n',
  ],
  'AUTHENTICATE PLAIN with an initial response': [
    GREETING,
    `C:a1 AUTHENTICATE PLAIN ${PLAIN}\r\n`,
    'S:a1 OK done\r\n',
  ],
  'AUTHENTICATE PLAIN with a SASL line': [
    GREETING,
    'C:a1 AUTHENTICATE PLAIN\r\n',
    'S:+ \r\n',
    `C:${PLAIN}\r\n`,
    'S:a1 OK done\r\n',
  ],
  'a LOGIN that does not decode': [
    GREETING,
    `C:a1 LOGIN alice ${PASSWORD} (\r\n`,
    'S:a1 BAD syntax\r\n',
  ],
  'AUTHENTICATE LOGIN with a password line': [
    GREETING,
    'C:a1 AUTHENTICATE LOGIN\r\n',
    'S:+ VXNlcm5hbWU6\r\n',
    `C:${Buffer.from('alice').toString('base64')}\r\n`,
    'S:+ UGFzc3dvcmQ6\r\n',
    `C:${Buffer.from(PASSWORD).toString('base64')}\r\n`,
    'S:a1 OK done\r\n',
  ],
};

describe('credentials are masked in every event', () => {
  for (const [name, steps] of Object.entries(dialogs)) {
    it(`masks the password of ${name}`, () => {
      const r = run(steps);
      const text = everything(r.events);
      expect(text).not.toContain(PASSWORD);
      expect(text).not.toContain(PLAIN);
      expect(text).not.toContain(Buffer.from(PASSWORD).toString('base64'));
      // The malformed LOGIN is no command, so its BAD pairs with nothing.
      expect(r.of('exchange')).toHaveLength(name.includes('not decode') ? 0 : 1);
    });
  }

  it('keeps the mask the same length as the secret, and keeps the user name', () => {
    const r = run(dialogs['LOGIN with a quoted password'] as Step[]);
    const cmd = r.of('message').find((m) => m.message.type === 'command')?.message;
    expect(cmd?.raw).toBe(`a1 LOGIN "alice" "${'*'.repeat(PASSWORD.length)}"`);
    expect(cmd?.type === 'command' && cmd.args).toEqual([
      { type: 'quoted', value: 'alice' },
      { type: 'quoted', value: '*'.repeat(PASSWORD.length) },
    ]);
    expect(r.of('session.close')[0]?.user).toBe('alice');
  });

  it('masks literal previews and drops their hash', () => {
    const r = run(dialogs['LOGIN with literals'] as Step[]);
    const cmd = r.of('message').find((m) => m.message.type === 'command')?.message;
    const pw = cmd?.type === 'command' ? cmd.args[1] : undefined;
    expect(pw?.type === 'literal' && Buffer.from(pw.literal.preview).toString()).toBe(
      '*'.repeat(PASSWORD.length),
    );
    expect(pw?.type === 'literal' && pw.literal.sha256).toBeNull();
  });

  it('takes the user of AUTHENTICATE PLAIN from the initial response before masking it', () => {
    const r = run(dialogs['AUTHENTICATE PLAIN with an initial response'] as Step[]);
    expect(r.of('session.close')[0]?.user).toBe('alice');
  });

  it('shows everything when the operator asks to reveal secrets', () => {
    const r = run(dialogs['LOGIN with an atom password'] as Step[], { revealSecrets: true });
    expect(everything(r.events)).toContain(PASSWORD);
  });

  it('masks after the kept words but keeps literal markers and line ends', () => {
    expect(maskRawAfter('a1 LOGIN {5}\r\n {9}\r\n', 3)).toBe('a1 LOGIN {5}\r\n {9}\r\n');
    expect(maskRawAfter('a1 AUTHENTICATE PLAIN AGFsaWNl', 3)).toBe(
      'a1 AUTHENTICATE PLAIN ********',
    );
    expect(maskRawAfter('a1 LOGIN "a \\" b" pw', 3)).toBe('a1 LOGIN "a \\" b" **');
  });

  it('reads the user from a SASL PLAIN message, and nothing from other text', () => {
    expect(plainSaslUser(PLAIN)).toBe('alice');
    expect(plainSaslUser(Buffer.from('boss\0alice\0pw').toString('base64'))).toBe('boss');
    expect(plainSaslUser('not base64!')).toBeNull();
  });
});

describe('masks line up with the wire bytes', () => {
  it('masks a non-ASCII password with one * per UTF-8 byte', () => {
    expect(maskRawAfter('a1 LOGIN bob "pässwörd"', 3)).toBe(`a1 LOGIN bob "${'*'.repeat(10)}"`);
  });
});

describe('the raw bytes are masked from the same decision', () => {
  it('masks exactly the bytes the events mask, by stream offset', () => {
    const r = run([GREETING, `C:a1 LOGIN "alice" "${PASSWORD}"\r\na2 NOOP\r\n`]);
    expect(r.bytes('c2s').toString()).toBe(
      `a1 LOGIN "alice" "${'*'.repeat(PASSWORD.length)}"\r\na2 NOOP\r\n`,
    );
  });

  it('masks the whole message when its text is not UTF-8 (offsets cannot be trusted)', () => {
    const p = new SessionPipeline({
      session: 'u',
      client: { host: '127.0.0.1', port: 1 },
      upstream: { host: '127.0.0.1', port: 2 },
      startedAt: 1,
    });
    p.push([{ direction: 's2c', data: Buffer.from('* OK hi\r\n'), at: 1 }]);
    const line = Buffer.concat([
      Buffer.from('a1 LOGIN u "'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('pw"\r\n'),
    ]);
    const out = p.push([{ direction: 'c2s', data: line, at: 2 }]);
    const raw = Buffer.concat(out.raw.map((c) => c.data));
    expect(raw.length).toBe(line.length);
    expect(raw.equals(Buffer.alloc(line.length, 0x2a))).toBe(true);
  });

  it('tells LOGIN and AUTHENTICATE from the first bytes of a message, erring towards secret', () => {
    const head = (s: string) => classifyHead(Buffer.from(s));
    expect(head('a LOG')).toBe('unknown');
    expect(head('a LOGIN')).toBe('secret');
    expect(head('a uid login ')).toBe('secret');
    expect(head('a\tLOGIN u p\r\n')).toBe('secret');
    expect(head('a AUTHENTICATE')).toBe('secret');
    expect(head('a NOOP')).toBe('unknown');
    expect(head('a NOOP\r\n')).toBe('public');
    expect(head('a SEARCH TEXT "LOGIN')).toBe('public');
    expect(head('a UID ')).toBe('unknown');
    expect(head('a UID FETCH ')).toBe('public');
    expect(head('x'.repeat(4095))).toBe('unknown');
    expect(head('x'.repeat(4096))).toBe('secret');
  });
});
