import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Direction } from '../../shared/direction.ts';
import type { Message } from '../../shared/messages.ts';
import { WireDecoder } from '../../proxy/wire/index.ts';
import { readTranscript } from './transcript.ts';

// Small caps so that random input reaches them.
const options = { maxLineBytes: 256, previewBytes: 64, maxMessageBytes: 2048 };
const BOUND = options.maxLineBytes + 1 + 32 + options.maxMessageBytes + options.previewBytes;

function decodeChunks(direction: Direction, chunks: Uint8Array[]): Message[] {
  const d = new WireDecoder(direction, options);
  const out: Message[] = [];
  for (const c of chunks) {
    out.push(...d.push(Buffer.from(c)));
    expect(d.framer.bufferedBytes).toBeLessThanOrEqual(BOUND);
  }
  out.push(...d.end());
  return out;
}

const direction = fc.constantFrom<Direction>('c2s', 's2c');
/** Bytes biased towards IMAP syntax, so the grammar is exercised and not only rejected. */
const imapish = fc.array(
  fc.oneof(
    fc.uint8Array({ maxLength: 40 }),
    fc.constantFrom(
      ...[
        '\r\n',
        '\n',
        ' ',
        '(',
        ')',
        '"',
        '\\',
        '{3}',
        '{0}',
        '~{2+}',
        '{1-}',
        '[',
        ']',
        '<0.5>',
        'NIL',
        '* ',
        'A1 ',
        'OK ',
        'FETCH ',
        'BODY[]',
        'ENVELOPE ',
        'BODYSTRUCTURE ',
        '+ ',
        '1:*',
        '&ZeVn-',
      ].map((s) => Buffer.from(s)),
    ),
  ),
  { maxLength: 200 },
);
const streamOf = (parts: Uint8Array[]): Buffer => Buffer.concat(parts.map((p) => Buffer.from(p)));

/** Messages as plain data without stream offsets (they shift with the garbage before them). */
const withoutOffsets = (m: Message[]): unknown =>
  JSON.parse(JSON.stringify(m, (k: string, v: unknown) => (k === 'offset' ? undefined : v)));

/** Cuts a buffer at the given fractions. */
function cut(bytes: Buffer, points: number[]): Buffer[] {
  const at = [...new Set(points.map((p) => Math.floor(p * bytes.length)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of at) {
    out.push(bytes.subarray(prev, p));
    prev = p;
  }
  out.push(bytes.subarray(prev));
  return out;
}
const fractions = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 20 });

const valid = readTranscript('rfc3501-responses.txt')
  .filter((e) => e.direction === 's2c')
  .map((e) => e.bytes);
const validStream = Buffer.concat(valid);

describe('the wire decoder on arbitrary input', () => {
  it('never throws, keeps memory bounded and accounts for every byte', () => {
    fc.assert(
      fc.property(direction, imapish, fractions, (dir, parts, points) => {
        const bytes = streamOf(parts);
        const messages = decodeChunks(dir, cut(bytes, points));
        expect(messages.reduce((n, m) => n + m.length, 0)).toBe(bytes.length);
      }),
      { numRuns: 400 },
    );
  });

  it('decodes the same whatever the split points', () => {
    fc.assert(
      fc.property(direction, imapish, fractions, (dir, parts, points) => {
        const bytes = streamOf(parts);
        expect(decodeChunks(dir, cut(bytes, points))).toEqual(decodeChunks(dir, [bytes]));
      }),
      { numRuns: 200 },
    );
  });

  it('never throws on mutated valid streams', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 30,
        }),
        fractions,
        (mutations, points) => {
          const bytes = Buffer.from(validStream);
          for (const [at, value] of mutations) bytes[at % bytes.length] = value;
          decodeChunks('s2c', cut(bytes, points));
          decodeChunks('c2s', cut(bytes, points));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('is back in sync at the next valid message after garbage', () => {
    const garbage = fc
      .uint8Array({ maxLength: 600 })
      .map((g) => Buffer.from(g).filter((b) => b !== 0x0a))
      .filter((g) => g[g.length - 1] !== 0x7d && g[g.length - 1] !== 0x0d);
    const reference = new WireDecoder('s2c', options);
    reference.push(Buffer.from('* OK hi\r\n'));
    const expected = valid.flatMap((v) => reference.push(v));
    fc.assert(
      fc.property(garbage, fractions, (junk, points) => {
        const bytes = Buffer.concat([
          Buffer.from('* OK hi\r\n'),
          junk,
          Buffer.from('\r\n'),
          validStream,
        ]);
        const messages = decodeChunks('s2c', cut(bytes, points));
        const tail = messages.slice(-expected.length);
        expect(withoutOffsets(tail)).toEqual(withoutOffsets(expected));
        expect(tail[0]?.offset).toBe(9 + junk.length + 2);
      }),
      { numRuns: 300 },
    );
  });
});
