import { describe, expect, it } from 'vitest';
import { pairRawlogByTags } from '../../proxy/import/rawlog-pairing.ts';

/** Lines `C: …` / `S: …` joined with CRLF (a line ending in `\` continues without one). */
const bytes = (lines: string[]): Buffer => Buffer.from(lines.map((l) => `${l}\r\n`).join(''));

/** The pairing as `C:`/`S:` chunks, CRLFs shown as `⏎`. */
function pair(client: string[], server: string[]): string[] {
  const c2s = bytes(client);
  const s2c = bytes(server);
  const chunks = pairRawlogByTags(c2s, s2c);
  // Every byte of both files, once, in each file's order.
  const side = (d: string): Buffer =>
    Buffer.concat(chunks.filter((c) => c.direction === d).map((c) => c.data));
  expect(side('c2s').equals(c2s)).toBe(true);
  expect(side('s2c').equals(s2c)).toBe(true);
  return chunks.map(
    (c) =>
      `${c.direction === 'c2s' ? 'C' : 'S'}: ${c.data.toString('latin1').replace(/\r\n/g, '⏎')}`,
  );
}

describe('a rawlog pair without timestamps is put in protocol order by its tags', () => {
  it('puts the greeting first and each command before the lines that answer it', () => {
    expect(
      pair(
        ['a1 LOGIN joe secret', 'a2 SELECT INBOX', 'a3 LOGOUT'],
        [
          '* OK ready',
          'a1 OK Logged in',
          '* 3 EXISTS',
          '* OK [UIDVALIDITY 7] ok',
          'a2 OK [READ-WRITE] done',
          '* BYE bye',
          'a3 OK bye',
        ],
      ),
    ).toEqual([
      'S: * OK ready⏎',
      'C: a1 LOGIN joe secret⏎',
      'S: a1 OK Logged in⏎',
      'C: a2 SELECT INBOX⏎',
      'S: * 3 EXISTS⏎',
      'S: * OK [UIDVALIDITY 7] ok⏎',
      'S: a2 OK [READ-WRITE] done⏎',
      'C: a3 LOGOUT⏎',
      'S: * BYE bye⏎',
      'S: a3 OK bye⏎',
    ]);
  });

  it("sends a synchronizing literal only after the server's +, and keeps a server literal whole", () => {
    expect(
      pair(
        ['a1 APPEND INBOX {11}', 'Hello\r\nBody', 'a2 FETCH 1 BODY[]'],
        ['* OK hi', '+ go', 'a1 OK appended', '* 1 FETCH (BODY[] {11}', 'Hello\r\nBody)', 'a2 OK'],
      ),
    ).toEqual([
      'S: * OK hi⏎',
      'C: a1 APPEND INBOX {11}⏎',
      'S: + go⏎',
      'C: Hello⏎Body⏎',
      'S: a1 OK appended⏎',
      'C: a2 FETCH 1 BODY[]⏎',
      'S: * 1 FETCH (BODY[] {11}⏎Hello⏎Body)⏎',
      'S: a2 OK⏎',
    ]);
  });

  it('sends a non-synchronizing literal with its command, and a zero-length one after +', () => {
    expect(
      pair(
        ['a1 APPEND INBOX {3+}', 'abc', 'a2 APPEND INBOX {0}', ''],
        ['* OK hi', 'a1 OK', '+ go', 'a2 OK'],
      ),
    ).toEqual([
      'S: * OK hi⏎',
      'C: a1 APPEND INBOX {3+}⏎abc⏎',
      'S: a1 OK⏎',
      'C: a2 APPEND INBOX {0}⏎',
      'S: + go⏎',
      'C: ⏎',
      'S: a2 OK⏎',
    ]);
  });

  it('ends a command at its literal when the server answers the tag instead of +', () => {
    expect(
      pair(['a1 APPEND INBOX {99999999}', 'a2 NOOP'], ['* OK hi', 'a1 NO [TOOBIG] no', 'a2 OK']),
    ).toEqual([
      'S: * OK hi⏎',
      'C: a1 APPEND INBOX {99999999}⏎',
      'S: a1 NO [TOOBIG] no⏎',
      'C: a2 NOOP⏎',
      'S: a2 OK⏎',
    ]);
  });

  it('sends AUTHENTICATE responses line by line, each after a +', () => {
    expect(
      pair(
        ['a1 AUTHENTICATE LOGIN', 'am9l', 'c2VjcmV0', 'a2 AUTHENTICATE PLAIN', '*', 'a3 NOOP'],
        [
          '* OK hi',
          '+ VXNlcm5hbWU6',
          '+ UGFzc3dvcmQ6',
          'a1 OK in',
          '+ ',
          'a2 BAD cancelled',
          'a3 OK',
        ],
      ),
    ).toEqual([
      'S: * OK hi⏎',
      'C: a1 AUTHENTICATE LOGIN⏎',
      'S: + VXNlcm5hbWU6⏎',
      'C: am9l⏎',
      'S: + UGFzc3dvcmQ6⏎',
      'C: c2VjcmV0⏎',
      'S: a1 OK in⏎',
      'C: a2 AUTHENTICATE PLAIN⏎',
      'S: + ⏎',
      'C: *⏎',
      'S: a2 BAD cancelled⏎',
      'C: a3 NOOP⏎',
      'S: a3 OK⏎',
    ]);
  });

  it("puts IDLE's updates after its + and DONE before its completion", () => {
    expect(
      pair(
        ['a1 IDLE', 'DONE', 'a2 LOGOUT'],
        ['* OK hi', '+ idling', '* 4 EXISTS', 'a1 OK', 'a2 OK'],
      ),
    ).toEqual([
      'S: * OK hi⏎',
      'C: a1 IDLE⏎',
      'S: + idling⏎',
      'S: * 4 EXISTS⏎',
      'C: DONE⏎',
      'S: a1 OK⏎',
      'C: a2 LOGOUT⏎',
      'S: a2 OK⏎',
    ]);
  });

  it('sends a pipelined command before a completion the server gave it first', () => {
    expect(
      pair(['a1 FETCH 1 FLAGS', 'a2 NOOP'], ['* OK hi', 'a2 OK', '* 1 FETCH (FLAGS ())', 'a1 OK']),
    ).toEqual([
      'S: * OK hi⏎',
      'C: a1 FETCH 1 FLAGS⏎',
      'C: a2 NOOP⏎',
      'S: a2 OK⏎',
      'S: * 1 FETCH (FLAGS ())⏎',
      'S: a1 OK⏎',
    ]);
  });

  it("starts a post-login rawlog with the login's completion, whose command went to imap-login", () => {
    expect(
      pair(
        ['x2 SELECT INBOX'],
        ['* CAPABILITY IMAP4rev1 IDLE', 'x1 OK Logged in', '* 0 EXISTS', 'x2 OK'],
      ),
    ).toEqual([
      'S: * CAPABILITY IMAP4rev1 IDLE⏎',
      'S: x1 OK Logged in⏎',
      'C: x2 SELECT INBOX⏎',
      'S: * 0 EXISTS⏎',
      'S: x2 OK⏎',
    ]);
  });

  it('keeps what follows a successful STARTTLS as it is, without pairing it', () => {
    const out = pair(
      ['a1 STARTTLS', '\x16\x03\x01 client hello'],
      ['* OK hi', 'a1 OK go', '\x16\x03\x03 hello'],
    );
    expect(out.slice(0, 3)).toEqual(['S: * OK hi⏎', 'C: a1 STARTTLS⏎', 'S: a1 OK go⏎']);
  });

  it('keeps every byte of input that follows no protocol, each side in its order', () => {
    let seed = 7;
    const rnd = (n: number): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    const pieces = ['a1 NOOP', '+ x', '* 1 EXISTS', 'a1 OK', '{3}', 'DONE', 'b IDLE', 'zz', ''];
    for (let round = 0; round < 200; round++) {
      const side = (): string[] =>
        Array.from({ length: rnd(8) }, () => pieces[rnd(pieces.length)]!);
      pair(side(), side()); // asserts inside: both sides whole and in order
    }
  });

  it('handles a side without a final line end, and empty sides', () => {
    expect(
      pairRawlogByTags(Buffer.from('a1 NOOP'), Buffer.alloc(0)).map((c) => c.data.toString()),
    ).toEqual(['a1 NOOP']);
    expect(pairRawlogByTags(Buffer.alloc(0), Buffer.alloc(0))).toEqual([]);
  });
});
