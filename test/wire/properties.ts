/**
 * Properties of the framer+decoder on arbitrary input, shared by the short CI run
 * (property.test.ts) and `npm run fuzz` (test/fuzz/run.ts, 100,000+ cases). Plain node:assert,
 * no vitest, so the fuzz script runs them outside the test runner.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Direction } from '../../shared/direction.ts';
import type { Message } from '../../shared/messages.ts';
import { WireDecoder } from '../../proxy/wire/index.ts';
import { readTranscript } from './transcript.ts';
import { decodeVector, vectorBytes, vectorDirection } from './vectors/coverage.ts';
import { VECTORS } from './vectors/extensions.ts';

// Small caps so that random input reaches them.
const options = { maxLineBytes: 256, previewBytes: 64, maxMessageBytes: 2048 };
const BOUND = options.maxLineBytes + 1 + 32 + options.maxMessageBytes + options.previewBytes;

function decodeChunks(direction: Direction, chunks: Uint8Array[]): Message[] {
  const d = new WireDecoder(direction, options);
  const out: Message[] = [];
  for (const c of chunks) {
    out.push(...d.push(Buffer.from(c)));
    assert.ok(d.framer.bufferedBytes <= BOUND, `buffered ${d.framer.bufferedBytes} > ${BOUND}`);
  }
  out.push(...d.end());
  return out;
}

const direction = fc.constantFrom<Direction>('c2s', 's2c');
/** Bytes biased towards IMAP syntax (base and extensions), so the grammar is exercised. */
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
        'ESEARCH ',
        '(TAG "a") ',
        'UID ',
        'ADDTO ',
        'REMOVEFROM ',
        '(0 3:4)',
        'PARTIAL ',
        '(-1:-9 NIL)',
        'rp[x]',
        'FLAGS (',
        'SORT ',
        'THREAD ',
        '(2)(3 6 (4 23))',
        'METADATA ',
        'QUOTA ',
        'QUOTAROOT ',
        'ACL ',
        'LISTRIGHTS ',
        'MYRIGHTS ',
        'STATUS ',
        'MAILBOXID ',
        'PREVIEW ',
        'EMAILID ',
        'THREADID ',
        'SAVEDATE ',
        'BINARY.SIZE[1] ',
        'LIST ',
        '"/" ',
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

/** A coverage vector decoded at the given split points, with the decoder's default caps. */
function decodeVectorSplit(v: (typeof VECTORS)[number], points: number[]): Message[] {
  const d = new WireDecoder(vectorDirection(v));
  const out = cut(vectorBytes(v), points).flatMap((c) => d.push(c));
  return [...out, ...d.end()];
}

/** JSON equality: both sides come from the same decoder, so plain data compares exactly. */
const same = (a: unknown, b: unknown): void =>
  assert.deepStrictEqual(withoutBuffers(a), withoutBuffers(b));
const withoutBuffers = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

export interface WireProperty {
  name: string;
  /** Cases in the CI run (property.test.ts). */
  ciRuns: number;
  property(): fc.IProperty<never[]>;
}

const prop = <T extends unknown[]>(p: fc.IProperty<T>): fc.IProperty<never[]> =>
  p as unknown as fc.IProperty<never[]>;

export const WIRE_PROPERTIES: readonly WireProperty[] = [
  {
    name: 'never throws, keeps memory bounded and accounts for every byte',
    ciRuns: 400,
    property: () =>
      prop(
        fc.property(direction, imapish, fractions, (dir, parts, points) => {
          const bytes = streamOf(parts);
          const messages = decodeChunks(dir, cut(bytes, points));
          assert.equal(
            messages.reduce((n, m) => n + m.length, 0),
            bytes.length,
          );
        }),
      ),
  },
  {
    name: 'never fails inside the decoder itself (no ERR_WIRE_INTERNAL: every error is grammar)',
    ciRuns: 400,
    property: () =>
      prop(
        fc.property(direction, imapish, (dir, parts) => {
          const internal = decodeChunks(dir, [streamOf(parts)]).filter(
            (m) => m.type === 'malformed' && m.code === 'ERR_WIRE_INTERNAL',
          );
          assert.deepEqual(internal, []);
        }),
      ),
  },
  {
    name: 'decodes the same whatever the split points',
    ciRuns: 200,
    property: () =>
      prop(
        fc.property(direction, imapish, fractions, (dir, parts, points) => {
          const bytes = streamOf(parts);
          same(decodeChunks(dir, cut(bytes, points)), decodeChunks(dir, [bytes]));
        }),
      ),
  },
  {
    name: 'decodes every protocol-coverage vector without malformed, at any split points',
    ciRuns: 200,
    property: () =>
      prop(
        fc.property(fc.constantFrom(...VECTORS), fractions, (v, points) => {
          const messages = decodeVectorSplit(v, points);
          assert.deepEqual(
            messages.filter((m) => m.type === 'malformed'),
            [],
          );
          same(messages, decodeVector(v));
        }),
      ),
  },
  {
    name: 'never throws on mutated valid streams',
    ciRuns: 200,
    property: () =>
      prop(
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
      ),
  },
  {
    name: 'is back in sync at the next valid message after garbage',
    ciRuns: 300,
    property: () => {
      const garbage = fc
        .uint8Array({ maxLength: 600 })
        .map((g) => Buffer.from(g).filter((b) => b !== 0x0a))
        .filter((g) => g[g.length - 1] !== 0x7d && g[g.length - 1] !== 0x0d);
      const reference = new WireDecoder('s2c', options);
      reference.push(Buffer.from('* OK hi\r\n'));
      const expected = valid.flatMap((v) => reference.push(v));
      return prop(
        fc.property(garbage, fractions, (junk, points) => {
          const bytes = Buffer.concat([
            Buffer.from('* OK hi\r\n'),
            junk,
            Buffer.from('\r\n'),
            validStream,
          ]);
          const messages = decodeChunks('s2c', cut(bytes, points));
          const tail = messages.slice(-expected.length);
          same(withoutOffsets(tail), withoutOffsets(expected));
          assert.equal(tail[0]?.offset, 9 + junk.length + 2);
        }),
      );
    },
  },
];
