/**
 * Issue 11: an inspection thread stuck in an endless loop (not a crash: it never exits) must
 * not stop inspection for good. The test-only IMAPSCOPE_TEST_SPIN_INSPECTION_AFTER_BYTES makes
 * the thread spin forever in the middle of a 12 MB FETCH; with the watchdog shortened to 2 s
 * (IMAPSCOPE_TEST_INSPECTION_WATCHDOG_MS) the relay thread notices the missing heartbeats,
 * logs it with the restart count, terminates the thread and starts another. The client gets
 * every byte, its session is marked with a gap, and a new session is inspected from its start.
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
      IMAPSCOPE_TEST_SPIN_INSPECTION_AFTER_BYTES: '3000000',
      IMAPSCOPE_TEST_INSPECTION_WATCHDOG_MS: '2000',
    },
  );
});
afterAll(async () => {
  await scope?.stop();
  await dovecot?.stop();
});

describe('when the inspection thread gets stuck mid-traffic', () => {
  it('the watchdog restarts it, the relay goes on byte for byte and new sessions are inspected', async () => {
    const client = imapflowFor(scope, dovecot, PLAIN);
    await client.connect();
    const first = await scope.waitForLog((l) => l.msg === 'session open');
    const lock = await client.getMailboxLock('INBOX');
    try {
      const msg = await client.fetchOne('1', { source: true });
      expect(sha256(msg && msg.source ? msg.source : Buffer.alloc(0))).toBe(sha256(big));
      const stuck = await scope.waitForLog(
        (l) => l.msg?.startsWith('inspection thread stopped answering') === true,
        30_000,
      );
      expect(stuck.level).toBe(50);
      expect(stuck).toMatchObject({ restarts: 1, stuck: 1 });
      expect(Number(stuck.silentMs)).toBeGreaterThan(2_000);
      const again = await client.fetchOne('2', { source: true });
      expect(sha256(again && again.source ? again.source : Buffer.alloc(0))).toBe(sha256(small));
    } finally {
      lock.release();
    }
    await client.logout();

    const restarted = await scope.waitForLog((l) => l.msg === 'inspection restarted', 30_000);
    expect(restarted.restarts).toBe(1);
    expect(scope.process.exitCode).toBeNull();
    // A stuck thread never exits by itself: no crash was reported, only the watchdog's restart.
    expect(scope.logs.some((l) => l.msg?.startsWith('inspection thread failed') === true)).toBe(
      false,
    );

    const second = imapflowFor(scope, dovecot, PLAIN);
    await second.connect();
    await second.list();
    await second.logout();
    const opens = scope.logs.filter((l) => l.msg === 'session open');
    expect(opens).toHaveLength(2);
    const fresh = await endedRow(scope, String(opens[1]!.session));
    expect(fresh.gapCount).toBe(0);
    expect(fresh.exchangeCount).toBeGreaterThanOrEqual(3);

    const crossed = await endedRow(scope, String(first.session), 'closed');
    expect(crossed.gapCount).toBeGreaterThan(0);
    const events = await sessionEvents(scope, crossed.id);
    expect(events.some((e) => e.type === 'gap')).toBe(true);
    expect(events.at(-1)?.type).toBe('session.close');
  }, 120_000);
});
