import { describe, expect, it } from 'vitest';
import { logRange } from '../../viewer/src/components/Stats/percentile-chart.tsx';

describe('the percentile chart’s log scale', () => {
  it('starts at the first tick (0.1 ms), not at 0, when a command’s p50 is 0 ms', () => {
    expect(logRange([{ p50: 0, max: 55 }])).toEqual({ min: 0.1, max: 100 });
  });

  it('spans the powers of ten around the p50s and maxima, at least 1 to 10 ms', () => {
    expect(logRange([{ p50: 3, max: 4 }])).toEqual({ min: 1, max: 10 });
    expect(logRange([{ p50: 0.25, max: 2_500 }])).toEqual({ min: 0.1, max: 10_000 });
  });
});
