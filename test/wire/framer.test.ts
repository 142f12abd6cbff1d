import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Framer, WireDecoder } from '../../proxy/wire/index.ts';
import { LITERAL_PREVIEW_BYTES, MAX_LINE_BYTES } from '../../proxy/limits.ts';
import { as, decodeAllWays } from './split.ts';
import { byteByByte, randomSplits, whole } from './transcript.ts';

const SPLITTERS = [whole, byteByByte, ...[1, 2, 3, 4, 5].map(randomSplits)];

const sha = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');
/** Hashing is off by default (as in the product without --literal-hashes). */
const hashed = { hashLiterals: true };

describe('the framer', () => {
  it('keeps a literal whose body holds CRLF and a fake tagged line as literal data', () => {
    const body = 'A1 OK fake\r\n* 2 BYE x\r\n';
    const [fetch, ok, ...rest] = decodeAllWays(
      's2c',
      `* 1 FETCH (BODY[] {${body.length}}\r\n${body})\r\nA1 OK real\r\n`,
      hashed,
    );
    expect(rest).toEqual([]);
    const data = as(fetch, 'untagged').data;
    expect(data.kind === 'fetch' && data.attributes[0]).toMatchObject({
      kind: 'body-section',
      value: { type: 'literal', literal: { size: body.length, sha256: sha(body) } },
    });
    expect(as(ok, 'tagged').text).toBe('real');
  });

  it('reads LITERAL+ literals without waiting for a continuation', () => {
    const [cmd, next] = decodeAllWays('c2s', 'A1 LOGIN {3+}\r\nabc {4+}\r\nd\r\nf\r\nA2 NOOP\r\n');
    const login = as(cmd, 'command');
    expect(login.args).toMatchObject([
      { type: 'literal', literal: { kind: 'nonsync', size: 3, preview: Buffer.from('abc') } },
      { type: 'literal', literal: { kind: 'nonsync', size: 4, preview: Buffer.from('d\r\nf') } },
    ]);
    expect(as(next, 'command').name).toBe('NOOP');
  });

  it('keeps NUL bytes of a literal8 in its preview and hash', () => {
    const body = Buffer.from([0, 0x61, 0, 0x62, 0]);
    const stream = Buffer.concat([
      Buffer.from('A1 APPEND INBOX ~{5+}\r\n'),
      body,
      Buffer.from('\r\nA2 NOOP\r\n'),
    ]);
    const [append, noop] = decodeAllWays('c2s', stream, hashed);
    expect(as(append, 'command').args[1]).toMatchObject({
      type: 'literal',
      literal: { literal8: true, kind: 'nonsync', size: 5, sha256: sha(body), preview: body },
    });
    expect(as(noop, 'command').tag).toBe('A2');
  });

  it('completes empty literals at once, in either direction', () => {
    const [cmd] = decodeAllWays('c2s', 'A1 LOGIN {0+}\r\n {0+}\r\n\r\n', hashed);
    expect(as(cmd, 'command').args).toMatchObject([
      { type: 'literal', literal: { size: 0, sha256: sha('') } },
      { type: 'literal', literal: { size: 0 } },
    ]);
    const [fetch] = decodeAllWays('s2c', '* 1 FETCH (BODY[] {0}\r\n)\r\n');
    expect(as(fetch, 'untagged').data).toMatchObject({
      kind: 'fetch',
      attributes: [{ kind: 'body-section', value: { type: 'literal', literal: { size: 0 } } }],
    });
  });

  it('reads `{4}` ending a server status line as text, not as a literal', () => {
    const [ok, alert, cont, exists] = decodeAllWays(
      's2c',
      'A1 OK done{4}\r\n* OK [ALERT] x{4}\r\n+ {4}\r\n* 3 EXISTS\r\n',
    );
    expect(as(ok, 'tagged').text).toBe('done{4}');
    expect(as(alert, 'untagged').data).toMatchObject({ kind: 'status', text: 'x{4}' });
    expect(as(cont, 'continuation').text).toBe('{4}');
    expect(as(exists, 'untagged').data).toEqual({ kind: 'exists', value: 3 });
  });

  it('reads `{4}` at the end of a command as a literal, and inside an open quote as text', () => {
    const [login] = decodeAllWays('c2s', 'A1 LOGIN fred {4}\r\npass\r\n');
    expect(as(login, 'command').args[1]).toMatchObject({ type: 'literal' });
    const [open, noop] = decodeAllWays('c2s', 'A1 LOGIN fred "pa{4}\r\nA2 NOOP\r\n');
    expect(as(open, 'malformed').code).toBe('ERR_WIRE_SYNTAX');
    expect(as(noop, 'command').name).toBe('NOOP');
    const [quoted] = decodeAllWays('c2s', 'A1 LOGIN fred "pa{4}"\r\n');
    expect(as(quoted, 'command').args[1]).toEqual({ type: 'quoted', value: 'pa{4}' });
  });

  it('reads `{5-}` as an atom, not a literal: the next line is the next command', () => {
    const [append, noop, ...rest] = decodeAllWays('c2s', 'A1 APPEND INBOX {5-}\r\nA2 NOOP\r\n');
    expect(append?.raw).toBe('A1 APPEND INBOX {5-}');
    expect(append?.length).toBe(22);
    expect(as(noop, 'command').tag).toBe('A2');
    expect(rest).toEqual([]);
  });

  it('tolerates bare LF line ends and flags them', () => {
    const [a, b] = decodeAllWays('s2c', '* 1 EXISTS\n* 2 RECENT\r\n');
    expect(as(a, 'untagged')).toMatchObject({ bareLf: true, data: { kind: 'exists', value: 1 } });
    expect(as(b, 'untagged')).toMatchObject({ bareLf: false, data: { kind: 'recent', value: 2 } });
  });

  it('reports a stream that ends inside a message as incomplete', () => {
    const [m] = decodeAllWays('s2c', '* 1 FETCH (BODY[] {10}\r\nabc');
    expect(as(m, 'malformed').code).toBe('ERR_WIRE_INCOMPLETE');
  });

  it('counts offsets and lengths over line ends and literal bodies', () => {
    const messages = decodeAllWays('c2s', 'A1 NOOP\r\nA2 LOGIN {3+}\r\nabc x\r\nA3 NOOP\r\n');
    expect(messages.map((m) => [m.offset, m.length])).toEqual([
      [0, 9],
      [9, 22],
      [31, 9],
    ]);
    expect(as(messages[1], 'command').args[0]).toMatchObject({ literal: { offset: 24 } });
  });
});

describe('the line cap', () => {
  const line = (n: number): string => `* OK ${'x'.repeat(n - 5)}`;

  it('accepts a line exactly at MAX_LINE_BYTES', () => {
    const [m] = decodeAllWays('s2c', `${line(MAX_LINE_BYTES)}\r\n* 1 EXISTS\r\n`);
    expect(as(m, 'greeting').raw.length).toBe(MAX_LINE_BYTES);
  });

  it('flags a line one byte past MAX_LINE_BYTES and decodes the next message', () => {
    const [m, next] = decodeAllWays('s2c', `${line(MAX_LINE_BYTES + 1)}\r\n* 1 EXISTS\r\n`);
    expect(as(m, 'malformed').code).toBe('ERR_WIRE_LINE_TOO_LONG');
    expect(as(next, 'untagged').data).toEqual({ kind: 'exists', value: 1 });
  });

  it('still follows the literal announced at the end of an overlong line', () => {
    const stream = `A1 APPEND x ${'y'.repeat(MAX_LINE_BYTES)} {5+}\r\nA9 OK\r\nA2 NOOP\r\n`;
    const [m, next, ...rest] = decodeAllWays('c2s', stream);
    expect(as(m, 'malformed').code).toBe('ERR_WIRE_LINE_TOO_LONG');
    expect(as(next, 'command').tag).toBe('A2');
    expect(rest).toEqual([]);
  });
});

describe('the literal preview', () => {
  const fetch = (n: number): string => `* 1 FETCH (BODY[] {${n}}\r\n${'z'.repeat(n)})\r\n`;
  const literalOf = (s: string) => {
    const data = as(decodeAllWays('s2c', s, hashed)[0], 'untagged').data;
    if (data.kind !== 'fetch' || data.attributes[0]?.kind !== 'body-section') throw new Error();
    const v = data.attributes[0].value;
    if (v.type !== 'literal') throw new Error();
    return v.literal;
  };

  it('holds the whole body of a literal of LITERAL_PREVIEW_BYTES', () => {
    const lit = literalOf(fetch(LITERAL_PREVIEW_BYTES));
    expect(lit.preview.length).toBe(LITERAL_PREVIEW_BYTES);
    expect(lit.sha256).toBe(sha('z'.repeat(LITERAL_PREVIEW_BYTES)));
  });

  it('holds LITERAL_PREVIEW_BYTES of a literal one byte longer, and hashes all of it', () => {
    const lit = literalOf(fetch(LITERAL_PREVIEW_BYTES + 1));
    expect(lit.preview.length).toBe(LITERAL_PREVIEW_BYTES);
    expect(lit.size).toBe(LITERAL_PREVIEW_BYTES + 1);
    expect(lit.sha256).toBe(sha('z'.repeat(LITERAL_PREVIEW_BYTES + 1)));
  });

  it('leaves the hash out by default, keeping size, offset and preview', () => {
    const text = fetch(LITERAL_PREVIEW_BYTES + 1);
    for (const split of SPLITTERS) {
      const framer = new Framer('s2c');
      const frames = split(Buffer.from(text)).flatMap((c) => framer.push(c));
      const [lit] = frames.flatMap((f) => f.literals);
      expect(lit?.sha256).toBeNull();
      expect(lit?.size).toBe(LITERAL_PREVIEW_BYTES + 1);
      expect(lit?.offset).toBe(text.indexOf('\n') + 1);
      expect(Buffer.from(lit!.preview).toString()).toBe('z'.repeat(LITERAL_PREVIEW_BYTES));
    }
  });

  it('streams a 20 MB literal without holding it', () => {
    const size = 20 * 1024 * 1024;
    const framer = new Framer('s2c', hashed);
    const hash = createHash('sha256');
    const chunk = Buffer.alloc(64 * 1024, 0x41);
    expect(framer.push(Buffer.from(`* 1 FETCH (BODY[] {${size}}\r\n`))).toEqual([]);
    for (let sent = 0; sent < size; sent += chunk.length) {
      expect(framer.push(chunk)).toEqual([]);
      hash.update(chunk);
      expect(framer.bufferedBytes).toBeLessThan(16 * 1024);
    }
    const [frame] = framer.push(Buffer.from(')\r\n'));
    expect(frame?.literals[0]?.sha256).toBe(hash.digest('hex'));
    expect(frame?.length).toBe(`* 1 FETCH (BODY[] {${size}}\r\n)\r\n`.length + size);
  });
});

describe('the message cap', () => {
  const options = { maxMessageBytes: 1000 };
  // a kept line costs its length plus 64
  it('accepts a message that keeps exactly maxMessageBytes', () => {
    const [m] = decodeAllWays('c2s', `A1 X ${'a'.repeat(1000 - 64 - 5)}\r\n`, options);
    expect(as(m, 'command').name).toBe('X');
  });

  it('reports a message one byte past maxMessageBytes and decodes the next', () => {
    const [m, next] = decodeAllWays(
      'c2s',
      `A1 X ${'a'.repeat(1000 - 64 - 4)}\r\nA2 NOOP\r\n`,
      options,
    );
    expect(as(m, 'malformed').code).toBe('ERR_WIRE_MESSAGE_TOO_LONG');
    expect(as(next, 'command').tag).toBe('A2');
  });

  it('caps a message of endless empty literals', () => {
    const parts = 'A1 X {0+}\r\n'.concat(' {0+}\r\n'.repeat(100), '\r\nA2 NOOP\r\n');
    const [m, next] = decodeAllWays('c2s', parts, options);
    expect(as(m, 'malformed').code).toBe('ERR_WIRE_MESSAGE_TOO_LONG');
    expect(as(next, 'command').tag).toBe('A2');
  });
});

describe('a synchronizing literal', () => {
  it('is waited for until the tracker refuses it, then the next command decodes', () => {
    const d = new WireDecoder('c2s');
    expect(d.push(Buffer.from('A1 APPEND INBOX {100}\r\n'))).toEqual([]);
    expect(d.pendingSyncLiteral).toEqual({ size: 100, literal8: false, received: 0 });
    const [append] = d.refuseLiteral();
    expect(as(append, 'command').args[1]).toMatchObject({
      type: 'literal',
      literal: { refused: true, size: 100, sha256: null },
    });
    expect(d.pendingSyncLiteral).toBeNull();
    expect(as(d.push(Buffer.from('A2 NOOP\r\n'))[0], 'command').tag).toBe('A2');
  });

  it('gives back bytes already taken as its body when refused late', () => {
    const d = new WireDecoder('c2s');
    expect(d.push(Buffer.from('A1 LOGIN {30}\r\nA2 NOOP\r\nA3 NO'))).toEqual([]);
    const [a1, a2] = d.refuseLiteral();
    expect(as(a1, 'command').args[0]).toMatchObject({ literal: { refused: true } });
    expect(as(a2, 'command')).toMatchObject({ tag: 'A2', offset: 15, length: 9 });
    expect(as(d.push(Buffer.from('OP\r\n'))[0], 'command').tag).toBe('A3');
  });

  it('of zero length waits too: refused, the bytes behind it frame as the next command', () => {
    for (const split of SPLITTERS) {
      const d = new WireDecoder('c2s');
      for (const chunk of split(Buffer.from('A1 APPEND INBOX {0}\r\nA2 LOGIN u pw\r\n'))) {
        expect(d.push(chunk)).toEqual([]);
      }
      // The 15 bytes held behind it are what a refusal frames again (the raw masker holds them).
      expect(d.pendingSyncLiteral).toEqual({ size: 0, literal8: false, received: 15 });
      const [a1, a2, ...rest] = d.refuseLiteral();
      expect(as(a1, 'command')).toMatchObject({ raw: 'A1 APPEND INBOX {0}', length: 21 });
      expect(as(a1, 'command').args[1]).toMatchObject({ literal: { size: 0, refused: true } });
      expect(as(a2, 'command')).toMatchObject({ tag: 'A2', name: 'LOGIN', offset: 21 });
      expect(rest).toEqual([]);
    }
  });

  it('of zero length completes when the server accepts it with +', () => {
    for (const split of SPLITTERS) {
      const d = new WireDecoder('c2s');
      for (const chunk of split(Buffer.from('A1 APPEND INBOX {0}\r\n\r\n'))) {
        expect(d.push(chunk)).toEqual([]);
      }
      const [a1, ...rest] = d.acceptLiteral();
      expect(as(a1, 'command')).toMatchObject({ tag: 'A1', length: 23 });
      expect(as(a1, 'command').args[1]).toMatchObject({ literal: { size: 0, refused: false } });
      expect(rest).toEqual([]);
      expect(d.pendingSyncLiteral).toBeNull();
      expect(d.acceptLiteral()).toEqual([]);
    }
  });

  it('of zero length stops waiting once the client sent more than the preview cap behind it', () => {
    const options = { previewBytes: 16 };
    const at = (n: number) => {
      const d = new WireDecoder('c2s', options);
      return d.push(Buffer.from(`A1 APPEND INBOX {0}\r\n${'x'.repeat(n - 2)}\r\n`));
    };
    expect(at(16)).toEqual([]);
    const [taken] = at(17);
    expect(taken).toMatchObject({ offset: 0, length: 21 + 17 });
  });

  it('names the command whose first line is read and whose rest has not come', () => {
    for (const split of SPLITTERS) {
      const d = new WireDecoder('c2s', { maxLineBytes: 64 });
      for (const chunk of split(Buffer.from('A1 NOOP\r\nA2 UID APPEND INBOX {5+}\r\nab')))
        d.push(chunk);
      expect(d.pendingCommand).toEqual({ offset: 9, tag: 'A2', name: 'APPEND', uid: true });
      d.push(Buffer.from('cde\r\nA3 NOOP'));
      expect(d.pendingCommand).toBeNull();
      d.push(Buffer.from(` ${'z'.repeat(60)}`));
      expect(d.pendingCommand).toEqual({ offset: 42, tag: 'A3', name: 'NOOP', uid: false });
    }
  });

  it('cannot be refused once it is non-synchronizing, nor on s2c', () => {
    const c2s = new WireDecoder('c2s');
    c2s.push(Buffer.from('A1 LOGIN {5+}\r\n'));
    expect(c2s.pendingSyncLiteral).toBeNull();
    expect(c2s.refuseLiteral()).toEqual([]);
    const s2c = new WireDecoder('s2c');
    s2c.push(Buffer.from('* 1 FETCH (BODY[] {5}\r\n'));
    expect(s2c.refuseLiteral()).toEqual([]);
  });
});

describe('the client modes', () => {
  it('reads SASL lines as untagged responses, literal markers included', () => {
    const d = new WireDecoder('c2s');
    d.setMode('sasl');
    const [a, b] = d.push(Buffer.from('dGVzdA== {5}\r\n*\r\n'));
    expect(as(a, 'sasl-response')).toMatchObject({ text: 'dGVzdA== {5}', cancel: false });
    expect(as(b, 'sasl-response').cancel).toBe(true);
  });

  it('ends IDLE mode after DONE by itself, so a pipelined command decodes', () => {
    const d = new WireDecoder('c2s');
    d.setMode('idle');
    const [done, noop] = d.push(Buffer.from('DONE\r\nA2 NOOP\r\n'));
    as(done, 'idle-done');
    expect(as(noop, 'command').name).toBe('NOOP');
    expect(d.framer.getMode()).toBe('normal');
  });

  it('reports anything but DONE during IDLE', () => {
    const d = new WireDecoder('c2s');
    d.setMode('idle');
    expect(as(d.push(Buffer.from('A3 NOOP\r\n'))[0], 'malformed').code).toBe(
      'ERR_WIRE_EXPECTED_DONE',
    );
  });
});
