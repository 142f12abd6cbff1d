import { describe, expect, it } from 'vitest';
import { type PipelineOutput, SessionPipeline } from '../../proxy/inspection/pipeline.ts';
import { RAW_REDACT_HOLD_BYTES } from '../../proxy/limits.ts';

const GREETING = '* OK [CAPABILITY IMAP4rev1 LITERAL+ SASL-IR] ready\r\n';
const PLAIN = Buffer.from('\0user\0secretpass').toString('base64');

/** A pipeline and everything it released, chunk by chunk. */
function session(revealSecrets = false) {
  const p = new SessionPipeline({
    session: 'm',
    client: { host: '127.0.0.1', port: 50000 },
    upstream: { host: '127.0.0.1', port: 143 },
    startedAt: 1000,
    revealSecrets,
  });
  const outs: PipelineOutput[] = [];
  let at = 1000;
  const keep = (o: PipelineOutput): PipelineOutput => {
    // Copied: the output may lend the pushed chunk's memory.
    outs.push({ ...o, raw: o.raw.map((c) => ({ ...c, data: Buffer.from(c.data) })) });
    return o;
  };
  keep(p.push([{ direction: 's2c', data: Buffer.from(GREETING), at: ++at }]));
  return {
    p,
    c: (text: string | Buffer) =>
      keep(p.push([{ direction: 'c2s', data: Buffer.from(text), at: ++at }])),
    s: (text: string) => keep(p.push([{ direction: 's2c', data: Buffer.from(text), at: ++at }])),
    close: () => keep(p.close({ bytes: { c2s: 0, s2c: 0 }, reason: 'closed', durationMs: 1 }, 9)),
    c2s: () =>
      Buffer.concat(
        outs.flatMap((o) => o.raw.filter((c) => c.direction === 'c2s').map((c) => c.data)),
      ).toString('latin1'),
  };
}

describe('the session pipeline hands out client bytes masked', () => {
  it('masks a LOGIN that follows a 300 KiB line in the same write (issue 11 finding 4)', () => {
    const write = `a1 SEARCH TEXT "${'x'.repeat(300 * 1024)}"\r\na2 LOGIN user secretpass\r\n`;
    const s = session();
    const out = s.c(write);
    expect(Buffer.concat(out.raw.map((c) => c.data)).toString('latin1')).toBe(
      write.replace('secretpass', '**********'),
    );
  });

  it('masks a LOGIN that follows a 300 KiB LITERAL+ body in the same write', () => {
    const write = `a1 APPEND INBOX {307200+}\r\n${'y'.repeat(307200)}\r\na2 LOGIN user secretpass\r\n`;
    const s = session();
    s.c(write);
    expect(s.c2s()).toBe(write.replace('secretpass', '**********'));
  });

  it('masks exactly the secrets of LOGIN and AUTHENTICATE, keeping quotes, markers and the rest', () => {
    const s = session();
    s.c('a1 LOGIN "user" "secret"\r\na2 AUTHENTICATE PLAIN ' + PLAIN + '\r\n');
    s.s('a1 NO bad\r\na2 NO bad\r\n');
    s.c('a3 AUTHENTICATE PLAIN\r\n');
    s.s('+ \r\n');
    s.c(PLAIN + '\r\n');
    s.s('a3 OK\r\n');
    s.c('a4 LOGIN {4}\r\n');
    s.s('+ go\r\n');
    s.c('user {6}\r\n');
    s.s('+ go\r\n');
    s.c('hunter\r\na5 NOOP\r\n');
    s.close();
    const stars = '*'.repeat(PLAIN.length);
    expect(s.c2s()).toBe(
      'a1 LOGIN "user" "******"\r\n' +
        `a2 AUTHENTICATE PLAIN ${stars}\r\n` +
        'a3 AUTHENTICATE PLAIN\r\n' +
        `${stars}\r\n` +
        'a4 LOGIN {4}\r\nuser {6}\r\n******\r\na5 NOOP\r\n',
    );
  });

  it('streams the literal of a command that is no LOGIN as it comes, without copying it', () => {
    const s = session();
    const head = Buffer.from('a1 APPEND INBOX {1000000+}\r\n');
    const body = Buffer.alloc(100_000, 0x61);
    const first = s.p.push([{ direction: 'c2s', data: Buffer.concat([head, body]), at: 2 }]);
    expect(first.raw.reduce((n, c) => n + c.data.length, 0)).toBe(head.length + body.length);
    const more = Buffer.alloc(200_000, 0x62);
    const next = s.p.push([{ direction: 'c2s', data: more, at: 3 }]);
    expect(next.raw).toHaveLength(1);
    // The relay's chunk memory itself, lent for the call: no copy of bulk bytes.
    const lent = next.raw[0]?.data;
    expect(lent?.buffer === more.buffer && lent.byteOffset === more.byteOffset).toBe(true);
    expect(lent?.byteLength).toBe(more.length);
  });

  it('holds the first bytes of a sync literal until the server takes it, so a refusal cannot leak a LOGIN', () => {
    const s = session();
    // The client does not wait for "+": if the server refuses, these bytes are commands.
    const out = s.c('a1 APPEND INBOX {40}\r\na2 LOGIN user secretpass\r\n');
    expect(Buffer.concat(out.raw.map((c) => c.data)).toString()).toBe('a1 APPEND INBOX {40}\r\n');
    s.s('a1 NO [TOOBIG] no\r\n');
    s.close();
    expect(s.c2s()).toBe('a1 APPEND INBOX {40}\r\na2 LOGIN user **********\r\n');
  });

  it('lets a LOGIN that never ends go past the hold cap masked whole, line ends kept', () => {
    const s = session();
    const size = RAW_REDACT_HOLD_BYTES + 10_000;
    s.c(`a1 LOGIN user {${size}}\r\n`);
    s.s('+ go\r\n');
    const out = s.c('p'.repeat(size - 5));
    expect(out.raw.reduce((n, c) => n + c.data.length, 0)).toBeGreaterThan(RAW_REDACT_HOLD_BYTES);
    s.c('ppppp\r\n');
    s.close();
    const all = s.c2s();
    expect(all.length).toBe(`a1 LOGIN user {${size}}\r\n`.length + size + 2);
    expect(all).not.toContain('p');
    expect(all.endsWith('*\r\n')).toBe(true);
  });

  it('masks whole the held bytes of a LOGIN that a gap cuts short', () => {
    const s = session();
    s.c('a1 LOGIN user secr');
    const out = s.p.gap('c2s', 1, 100);
    s.c('a2 NOOP\r\n');
    expect(Buffer.concat(out.raw.map((c) => c.data)).toString()).toBe('*'.repeat(18));
    expect(s.c2s()).toBe('a2 NOOP\r\n');
  });

  it('masks whole the client bytes it cannot decode, and passes server bytes as they are', () => {
    const s = session();
    s.c('a1 STARTTLS\r\n');
    s.s('a1 OK begin\r\n');
    const out = s.c('\x16\x03\x01 hello\r\n');
    expect(out.raw.map((c) => Buffer.from(c.data).toString('latin1'))).toEqual(['*********\r\n']);
  });

  it('hands everything out unchanged with revealSecrets', () => {
    const s = session(true);
    s.c('a1 LOGIN user secretpass\r\na2 LOGIN user ');
    s.c('more');
    s.close();
    expect(s.c2s()).toBe('a1 LOGIN user secretpass\r\na2 LOGIN user more');
  });
});
