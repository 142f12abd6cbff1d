/**
 * A short run of `npm run fuzz`'s live targets (test/fuzz/live-targets.ts), so CI keeps them
 * working: random and hostile HTTP at the UI port while a relayed session stays logged in,
 * then mutated IMAP from the client and from the server through a real imapscope in front of
 * Dovecot. Every byte must arrive unchanged on the other side, every HTTP request get a valid
 * status, and the process and its inspection thread live through it all.
 */
import { describe, expect, it } from 'vitest';
import { LIVE_TARGETS, runLiveTargets } from './live-targets.ts';

const SECONDS = 4;

describe('the live fuzz targets, for a few seconds each', () => {
  it('find nothing: bytes unchanged both ways, valid HTTP answers, imapscope alive', async () => {
    const results = await runLiveTargets(LIVE_TARGETS, SECONDS, Date.now() % 2 ** 31);
    expect([...results.keys()]).toEqual(LIVE_TARGETS.map((t) => t.name));
    for (const [name, r] of results) {
      expect(r.failures, name).toEqual([]);
      expect(r.cases, name).toBeGreaterThan(0);
    }
  }, 120_000);
});
