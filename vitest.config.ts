import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The packed-tarball test runs on its own: `npm run test:pack` (vitest.pack.config.ts).
    exclude: [...configDefaults.exclude, 'test/pack/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration tests start real Dovecot and imapscope processes; two cores is what CI has.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
