/** Runs one direction's bytes whole, byte by byte and at random split points; all must agree. */
import { expect } from 'vitest';
import type { Direction } from '../../shared/direction.ts';
import type { Message } from '../../shared/messages.ts';
import { WireDecoder } from '../../proxy/wire/index.ts';
import type { FramerOptions } from '../../proxy/wire/index.ts';
import { byteByByte, randomSplits, whole, type Splitter } from './transcript.ts';

/**
 * Decodes the chunks `split` cuts. With `lent`, each chunk is lent in one scratch buffer that
 * is scribbled over after every push, as a caller that reuses its buffers would: a decoder that
 * kept a view of a chunk instead of a copy then gives different (garbled) messages.
 */
export function decodeWith(
  direction: Direction,
  bytes: Buffer,
  split: Splitter,
  options: FramerOptions = {},
  lent = false,
): Message[] {
  const d = new WireDecoder(direction, options);
  const out: Message[] = [];
  const scratch = lent ? Buffer.alloc(bytes.length) : null;
  for (const chunk of split(bytes)) {
    if (!scratch) {
      out.push(...d.push(chunk));
      continue;
    }
    chunk.copy(scratch);
    out.push(...d.push(scratch.subarray(0, chunk.length)));
    scratch.fill(0x23);
  }
  out.push(...d.end());
  return out;
}

/** Decodes every way, expects identical results, returns them. */
export function decodeAllWays(
  direction: Direction,
  input: Buffer | string,
  options: FramerOptions = {},
): Message[] {
  const bytes = typeof input === 'string' ? Buffer.from(input) : input;
  const expected = decodeWith(direction, bytes, whole, options);
  expect(decodeWith(direction, bytes, byteByByte, options)).toEqual(expected);
  for (let seed = 1; seed <= 10; seed++) {
    expect(decodeWith(direction, bytes, randomSplits(seed), options)).toEqual(expected);
  }
  expect(decodeWith(direction, bytes, randomSplits(11), options, true)).toEqual(expected);
  expect(decodeWith(direction, bytes, byteByByte, options, true)).toEqual(expected);
  return expected;
}

/** Narrows a message to one type or fails the test. */
export function as<T extends Message['type']>(
  m: Message | undefined,
  type: T,
): Extract<Message, { type: T }> {
  expect(m?.type, m?.type === 'malformed' ? `${m.code}: ${m.reason}` : undefined).toBe(type);
  return m as Extract<Message, { type: T }>;
}
