import fc from 'fast-check';
import { describe, it } from 'vitest';
import { WIRE_PROPERTIES } from './properties.ts';

// The short run; `npm run fuzz` runs the same properties at 100,000+ cases.
describe('the wire decoder on arbitrary input', () => {
  for (const p of WIRE_PROPERTIES) {
    it(p.name, () => {
      fc.assert(p.property(), { numRuns: p.ciRuns });
    });
  }
});
