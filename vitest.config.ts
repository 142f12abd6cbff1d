import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration tests start real Dovecot and imapscope processes; two cores is what CI has.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
