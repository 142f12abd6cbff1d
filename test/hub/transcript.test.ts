import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeLine, parseTranscript, writeTranscript } from '../../proxy/export/transcript.ts';
import type { TranscriptChunk } from '../../proxy/export/transcript.ts';

const join = (chunks: TranscriptChunk[], d: 'c2s' | 's2c'): Buffer =>
  Buffer.concat(chunks.filter((c) => c.direction === d).map((c) => c.data));

describe('the C:/S: transcript', () => {
  it('writes one line per protocol line with its time and direction', () => {
    const at = Date.UTC(2026, 0, 2, 3, 4, 5, 6);
    const text = [
      ...writeTranscript('session=x', [
        { direction: 's2c', at, data: Buffer.from('* OK ready\r\n') },
        { direction: 'c2s', at: at + 1, data: Buffer.from('a1 NOOP\r\n') },
      ]),
    ].join('');
    expect(text).toBe(
      '# imapscope transcript v1 session=x\n' +
        '2026-01-02T03:04:05.006Z S: * OK ready\n' +
        '2026-01-02T03:04:05.007Z C: a1 NOOP\n',
    );
  });

  it('keeps IMAP flags readable and escapes only what would be ambiguous', () => {
    expect(escapeLine(Buffer.from('* FLAGS (\\Seen \\Noselect)'))).toBe(
      '* FLAGS (\\Seen \\Noselect)',
    );
    expect(escapeLine(Buffer.from('a\\nb\\x41\\'))).toBe('a\\\\nb\\\\x41\\\\');
    expect(escapeLine(Buffer.from([0x61, 0x0d, 0x00, 0xff]))).toBe('a\\x0d\\x00\\xff');
  });

  it('reads a hand-written transcript without timestamps', () => {
    const chunks = parseTranscript('# comment\nS: * OK hi\nC: a1 LOGOUT\n', 5);
    expect(chunks.map((c) => [c.direction, c.at, c.data.toString()])).toEqual([
      ['s2c', 5, '* OK hi\r\n'],
      ['c2s', 5, 'a1 LOGOUT\r\n'],
    ]);
  });

  it('gives back exactly the bytes of each direction, whatever they are', () => {
    const chunk = fc.record({
      direction: fc.constantFrom('c2s' as const, 's2c' as const),
      data: fc.oneof(
        fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)),
        fc
          .array(
            fc.constantFrom('a', ' ', '\\', 'n', 'x', '\r', '\n', '\r\n', 'é', '{3}', '\\Seen'),
          )
          .map((a) => Buffer.from(a.join(''))),
      ),
    });
    fc.assert(
      fc.property(fc.array(chunk, { maxLength: 12 }), (input) => {
        const chunks = input.map((c, i) => ({ ...c, at: 1_000 + i }));
        const back = parseTranscript([...writeTranscript('t', chunks)].join(''));
        expect(join(back, 'c2s').equals(join(chunks, 'c2s'))).toBe(true);
        expect(join(back, 's2c').equals(join(chunks, 's2c'))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
