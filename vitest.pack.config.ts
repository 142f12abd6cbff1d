import { defineConfig } from 'vitest/config';

/**
 * `npm run test:pack`: the packed-tarball test (test/pack/), kept out of `npm test` because
 * installing the tarball may compile better-sqlite3 (minutes on two cores); .ci/run runs it
 * after `npm test`.
 */
export default defineConfig({
  test: {
    include: ['test/pack/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
