/**
 * COMPRESS=DEFLATE is followed on the inspection thread (inspection/transport-follower.ts), so
 * the deflate windows die with it. When it dies inside a compressed session, the restarted
 * thread must not read the rest of that session's deflate stream as IMAP lines: the relay
 * thread kept the session's follow state and the new thread says, once, that the stream cannot
 * be inflated from there. The relay, as ever, goes on byte for byte.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDovecot, type Dovecot } from '../helpers/dovecot.ts';
import { startImapscope, type Imapscope } from '../helpers/imapscope.ts';
import { makeMessage, sha256 } from '../helpers/mail.ts';
import { appendDirect, endedRow, sessionEvents } from '../helpers/scope-api.ts';
import { imapflowFor } from '../helpers/scope-over-dovecot.ts';

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

describe('when the inspection thread dies inside a compressed session', () => {
  it('the restarted thread reports the deflate stream lost and decodes nothing of it', async () => {
    // Plain TCP, COMPRESS=DEFLATE negotiated (imapflow's default when the server offers it).
    const client = imapflowFor(scope, dovecot, { doSTARTTLS: false });
    await client.connect();
    const first = await scope.waitForLog((l) => l.msg === 'session open');
    const lock = await client.getMailboxLock('INBOX');
    try {
      const msg = await client.fetchOne('1', { source: true });
      expect(sha256(msg && msg.source ? msg.source : Buffer.alloc(0))).toBe(sha256(big));
      await scope.waitForLog((l) => l.msg?.startsWith('inspection thread failed') === true);
      await scope.waitForLog((l) => l.msg === 'inspection restarted', 30_000);
      const again = await client.fetchOne('2', { source: true });
      expect(sha256(again && again.source ? again.source : Buffer.alloc(0))).toBe(sha256(small));
    } finally {
      lock.release();
    }
    await client.logout();

    const row = await endedRow(scope, String(first.session), 'closed');
    const events = await sessionEvents(scope, row.id);
    expect(events.some((e) => e.type === 'compress.started')).toBe(true);
    expect(events.some((e) => e.type === 'gap')).toBe(true);
    const lost = events.findIndex(
      (e) => e.type === 'lint' && (e as { code?: string }).code === 'LINT_COMPRESS_CORRUPT',
    );
    expect(lost).toBeGreaterThan(0);
    expect((events[lost] as { title?: string }).title).toMatch(/restarted inside a deflate stream/);
    // Said once, and nothing of the deflate stream after it was taken for IMAP.
    const after = events.slice(lost + 1);
    expect(
      after.filter(
        (e) => e.type === 'lint' && (e as { code?: string }).code === 'LINT_COMPRESS_CORRUPT',
      ),
    ).toEqual([]);
    expect(after.filter((e) => e.type === 'message' || e.type === 'malformed')).toEqual([]);
    expect(events.at(-1)?.type).toBe('session.close');
  }, 240_000);
});
