import { describe, expect, it } from 'vitest';
import { stepMatch } from '../../viewer/src/components/SessionView/filter-box.tsx';

describe('stepping through display filter matches', () => {
  const matches = [4, 10, 25];

  it('starts at the first (next) or last (previous) match when no row is selected', () => {
    expect(stepMatch(matches, null, 1)).toBe(4);
    expect(stepMatch(matches, null, -1)).toBe(25);
  });

  it('steps from the selected row, whether or not it is a match', () => {
    expect(stepMatch(matches, 4, 1)).toBe(10);
    expect(stepMatch(matches, 11, 1)).toBe(25);
    expect(stepMatch(matches, 11, -1)).toBe(10);
    expect(stepMatch(matches, 10, -1)).toBe(4);
  });

  it('wraps around at either end', () => {
    expect(stepMatch(matches, 25, 1)).toBe(4);
    expect(stepMatch(matches, 30, 1)).toBe(4);
    expect(stepMatch(matches, 4, -1)).toBe(25);
    expect(stepMatch(matches, 1, -1)).toBe(25);
  });

  it('has nowhere to go without matches', () => {
    expect(stepMatch([], 3, 1)).toBeNull();
    expect(stepMatch([], null, -1)).toBeNull();
  });
});
