import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  byteByByte,
  randomSplits,
  readTranscript,
  runTranscript,
  summary,
  whole,
  type Decoded,
} from './transcript.ts';

const files = readdirSync(new URL('../fixtures/rfc/', import.meta.url)).filter((f) =>
  f.endsWith('.txt'),
);

function streamLength(decoded: Decoded, direction: 'c2s' | 's2c'): number {
  return decoded[direction].reduce((n, m) => n + m.length, 0);
}

describe.each(files)('the RFC transcript %s', (file) => {
  const entries = readTranscript(file);
  const expected = runTranscript(entries, whole);

  it('decodes with no malformed message', () => {
    const malformed = [...expected.c2s, ...expected.s2c].filter((m) => m.type === 'malformed');
    expect(malformed.map(summary)).toEqual([]);
  });

  it('accounts for every byte of both directions, message after message', () => {
    for (const direction of ['c2s', 's2c'] as const) {
      const total = entries
        .filter((e) => e.direction === direction)
        .reduce((n, e) => n + e.bytes.length, 0);
      let offset = 0;
      for (const m of expected[direction]) {
        expect(m.offset).toBe(offset);
        offset += m.length;
      }
      expect(streamLength(expected, direction)).toBe(total);
    }
  });

  it('decodes the same fed one byte at a time', () => {
    expect(runTranscript(entries, byteByByte)).toEqual(expected);
  });

  it('decodes the same split at random points', () => {
    for (let seed = 1; seed <= 20; seed++) {
      expect(runTranscript(entries, randomSplits(seed))).toEqual(expected);
    }
  });

  it('matches the recorded summary', () => {
    expect([...expected.c2s, ...expected.s2c].map(summary)).toMatchSnapshot();
  });
});
