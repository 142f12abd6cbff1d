/**
 * The audit workload: what a real user does in two sessions through imapscope, so that the
 * audit trail has one action of every kind to check. The CLI/REST e2e test and the viewer's
 * Chromium test drive the same workload and expect the same actions (`AUDIT_ACTIONS`).
 */
import { expect } from 'vitest';
import type { Dovecot } from './dovecot.ts';
import type { Imapscope } from './imapscope.ts';
import { converse } from './raw-imap.ts';
import { imapflowFor, PLAIN } from './scope-over-dovecot.ts';

/** Message n of the workload: its Subject is `audit n`, its Message-ID `<audit-n@example.org>`. */
export const auditMessage = (n: number): Buffer =>
  Buffer.from(
    `From: a@example.org\r\nSubject: audit ${n}\r\nMessage-ID: <audit-${n}@example.org>\r\n\r\nbody ${n}\r\n`,
  );

/** The UIDs Dovecot gave the two appended messages. */
export interface AuditWorkload {
  first: number;
  second: number;
}

/**
 * Session 1 (imapflow): create `Kept`, append messages 1 (\Flagged) and 2 to INBOX, fetch
 * envelopes, set \Seen on 1, move 2 to Kept, delete 1 (flag \Deleted and expunge), log out.
 * Session 2 (raw): log in, select Kept, `FETCH 1 (UID BODY[])` without PEEK (a read), log out.
 */
export async function runAuditWorkload(scope: Imapscope, dovecot: Dovecot): Promise<AuditWorkload> {
  const c = imapflowFor(scope, dovecot, PLAIN);
  await c.connect();
  await c.mailboxCreate('Kept');
  const first = await c.append('INBOX', auditMessage(1), ['\\Flagged']);
  const second = await c.append('INBOX', auditMessage(2));
  if (!first || !second || first.uid === undefined || second.uid === undefined) {
    throw new Error('Dovecot did not report the UIDs of the appended messages (UIDPLUS)');
  }
  const lock = await c.getMailboxLock('INBOX');
  try {
    // imapflow learns envelopes first (as a mail client would), then changes flags and moves.
    for await (const _ of c.fetch('1:*', { uid: true, envelope: true })) void _;
    await c.messageFlagsAdd(String(first.uid), ['\\Seen'], { uid: true });
    await c.messageMove(String(second.uid), 'Kept', { uid: true });
    await c.messageDelete(String(first.uid), { uid: true });
  } finally {
    lock.release();
  }
  await c.logout();

  const t = await converse(scope.listen.host, scope.listen.port, [
    `LOGIN ${dovecot.user} ${dovecot.password}`,
    'SELECT Kept',
    'FETCH 1 (UID BODY[])',
    'LOGOUT',
  ]);
  expect(t.replies[2]?.at(-1)).toMatch(/^a3 OK/);
  return { first: first.uid, second: second.uid };
}

/** The workload's actions, oldest first, as `kind status mailbox[ → target]`. */
export const AUDIT_ACTIONS: readonly string[] = [
  'login OK',
  'create OK Kept',
  // imapflow subscribes to a mailbox it creates: the audit shows what the client sent.
  'subscribe OK Kept',
  'append OK INBOX',
  'append OK INBOX',
  'select OK INBOX',
  'flags OK INBOX',
  'move OK INBOX → Kept',
  'flags OK INBOX',
  'expunge OK INBOX',
  'login OK',
  'select OK Kept',
  'read OK Kept',
];
