/**
 * Fuzz properties of the PROXY header parser (proxy/net/proxy-header.ts), in the shape of
 * test/wire/properties.ts: `npm run fuzz` can run them beside the wire properties, and
 * test/net/proxy-header.test.ts runs each at `ciRuns`. Inputs: random bytes, and valid v1/v2
 * headers (TLVs included) with bytes flipped, cut short, and IMAP or random bytes appended.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  encodeProxyV2,
  parseProxyHeader,
  PROXY_V2_SIGNATURE,
} from '../../proxy/net/proxy-header.ts';
import type { ProxyParse } from '../../proxy/net/proxy-header.ts';

export interface ProxyHeaderProperty {
  name: string;
  /** Cases in the CI run (test/net/proxy-header.test.ts). */
  ciRuns: number;
  property(): fc.IProperty<never[]>;
}

const tlvV2 = (): Buffer => {
  const header = encodeProxyV2({ host: '192.0.2.7', port: 50000 }, { host: '10.0.0.1', port: 143 });
  const tlv = Buffer.from([0x01, 0x00, 0x04, ...Buffer.from('imap')]);
  const out = Buffer.concat([header, tlv]);
  out.writeUInt16BE(out.length - 16, 14);
  return out;
};

/** Headers as HAProxy sends them; mutations of these reach the parser's deeper branches. */
export const VALID_HEADERS: readonly Buffer[] = [
  Buffer.from('PROXY TCP4 192.0.2.7 10.0.0.1 50000 143\r\n'),
  Buffer.from('PROXY TCP6 2001:db8::7 ::1 1 2\r\n'),
  Buffer.from('PROXY UNKNOWN\r\n'),
  encodeProxyV2({ host: '::1', port: 1 }, { host: '::1', port: 2 }),
  tlvV2(),
  Buffer.concat([PROXY_V2_SIGNATURE, Buffer.from([0x20, 0x00, 0x00, 0x00])]),
];

/** A valid header mutated: some bytes set to random values, maybe cut, then a random tail. */
export const mutatedHeader = (): fc.Arbitrary<Buffer> =>
  fc
    .tuple(
      fc.constantFrom(...VALID_HEADERS),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
      fc.option(fc.nat(), { nil: undefined }),
      fc.oneof(fc.constant(Buffer.from('a1 CAPABILITY\r\n')), fc.uint8Array({ maxLength: 40 })),
    )
    .map(([base, flips, cut, tail]) => {
      const b = Buffer.from(base);
      for (const [at, value] of flips) b[at % b.length] = value;
      const head = cut === undefined ? b : b.subarray(0, cut % (b.length + 1));
      return Buffer.concat([head, Buffer.from(tail)]);
    });

const anyInput = (): fc.Arbitrary<Buffer> =>
  fc.oneof(
    fc.uint8Array({ maxLength: 300 }).map((u) => Buffer.from(u)),
    mutatedHeader(),
  );

/** What a reader that accumulates chunks gets: the first final result, and its offset. */
export function parseInChunks(bytes: Buffer, cuts: number[]): ProxyParse {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  for (const end of [...points, bytes.length]) {
    const r = parseProxyHeader(bytes.subarray(0, end));
    if (r.type !== 'incomplete') return r;
  }
  return { type: 'incomplete' };
}

const comparable = (r: ProxyParse): unknown => JSON.parse(JSON.stringify(r));

const prop = <T extends unknown[]>(p: fc.IProperty<T>): fc.IProperty<never[]> =>
  p as unknown as fc.IProperty<never[]>;

export const PROXY_HEADER_PROPERTIES: readonly ProxyHeaderProperty[] = [
  {
    name: 'PROXY header: never throws, and a header never claims more bytes than it was given',
    ciRuns: 3000,
    property: () =>
      prop(
        fc.property(anyInput(), (bytes) => {
          const r = parseProxyHeader(bytes);
          if (r.type === 'header') {
            assert.ok(r.length >= 8 && r.length <= bytes.length);
          }
        }),
      ),
  },
  {
    name: 'PROXY header: the same result whatever the split points (no client byte moves)',
    ciRuns: 2000,
    property: () =>
      prop(
        fc.property(anyInput(), fc.array(fc.nat(), { maxLength: 8 }), (bytes, cuts) => {
          const whole = parseProxyHeader(bytes);
          const split = parseInChunks(bytes, cuts);
          // A final answer on the whole input is reached the same way chunk by chunk.
          if (whole.type !== 'incomplete') assert.deepEqual(comparable(split), comparable(whole));
          else assert.equal(split.type, 'incomplete');
        }),
      ),
  },
];
