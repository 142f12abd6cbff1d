/**
 * DESIGN rule 1, "nothing outside the relay can stop it": the inspection thread of a real
 * imapscope dies in the middle of a 12 MB FETCH (the test-only
 * IMAPSCOPE_TEST_CRASH_INSPECTION_AFTER_BYTES makes it throw an uncaught exception). The
 * process lives on: the client gets every byte, its session goes on, the failure and the
 * restart are logged, the open session gets a gap, and new sessions are inspected as usual.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDovecot, type Dovecot } from '../helpers/dovecot.ts';
import { startImapscope, type Imapscope } from '../helpers/imapscope.ts';
import { makeMessage, sha256 } from '../helpers/mail.ts';
import { appendDirect, endedRow, sessionEvents } from '../helpers/scope-api.ts';
import { PLAIN, imapflowFor } from '../helpers/scope-over-dovecot.ts';

let dovecot: Dovecot;
let scope: Imapscope;
const big = makeMessage(12_000_000, 'big');
const small = makeMessage(5_000, 'small');

beforeAll(async () => {
  dovecot = await startDovecot();
  await appendDirect(dovecot, big);
  await appendDirect(dovecot, small);
  // `session open` (the relay's own line, there with inspection down) is a debug line.
  scope = await startImapscope(
    ['--upstream', `${dovecot.host}:${dovecot.port}`, '--log-level', 'debug'],
    {
      IMAPSCOPE_TEST_CRASH_INSPECTION_AFTER_BYTES: '3000000',
    },
  );
});
afterAll(async () => {
  await scope?.stop();
  await dovecot?.stop();
});

describe('when the inspection thread dies mid-traffic', () => {
  it('the relay goes on byte for byte, inspection restarts and inspects new sessions', async () => {
    const client = imapflowFor(scope, dovecot, PLAIN);
    await client.connect();
    const first = await scope.waitForLog((l) => l.msg === 'session open');
    const lock = await client.getMailboxLock('INBOX');
    try {
      const msg = await client.fetchOne('1', { source: true });
      expect(sha256(msg && msg.source ? msg.source : Buffer.alloc(0))).toBe(sha256(big));
      const failed = await scope.waitForLog(
        (l) => l.msg?.startsWith('inspection thread failed') === true,
      );
      expect(failed.level).toBe(50);
      expect(String(failed.err)).toContain('test crash');
      // The same session goes on after the crash, with every byte.
      const again = await client.fetchOne('2', { source: true });
      expect(sha256(again && again.source ? again.source : Buffer.alloc(0))).toBe(sha256(small));
    } finally {
      lock.release();
    }
    await client.logout();

    const restarted = await scope.waitForLog((l) => l.msg === 'inspection restarted', 30_000);
    expect(restarted.restarts).toBe(1);
    expect(scope.process.exitCode).toBeNull();

    // A session that starts after the restart is inspected from its first byte.
    const second = imapflowFor(scope, dovecot, PLAIN);
    await second.connect();
    await second.list();
    await second.logout();
    const opens = scope.logs.filter((l) => l.msg === 'session open');
    expect(opens).toHaveLength(2);
    const fresh = await endedRow(scope, String(opens[1]!.session));
    expect(fresh.gapCount).toBe(0);
    expect(fresh.exchangeCount).toBeGreaterThanOrEqual(3); // LOGIN (or CAPABILITY), LIST, LOGOUT
    const freshEvents = await sessionEvents(scope, fresh.id);
    expect(freshEvents[0]?.type).toBe('session.open');

    // The session open across the crash carries the hole, and its events continue after it.
    // (The new thread's archive first calls it 'interrupted', until it resumes it.)
    const crossed = await endedRow(scope, String(first.session), 'closed');
    expect(crossed.gapCount).toBeGreaterThan(0);
    const events = await sessionEvents(scope, crossed.id);
    const seqs = events.map((e) => e.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(events.filter((e) => e.type === 'session.open')).toHaveLength(1);
    expect(events.some((e) => e.type === 'gap')).toBe(true);
    expect(events.at(-1)?.type).toBe('session.close');
  }, 120_000);
});
