import { describe, expect, it } from 'vitest';
import { AuditTrail } from '../../proxy/session/audit.ts';
import { decodeHeaderWords, headerFields } from '../../proxy/session/headers.ts';
import type { AuditAction } from '../../shared/audit.ts';
import { SessionPipeline } from '../../proxy/inspection/pipeline.ts';
import { GREETING, run, type Step } from './dialog.ts';

/** A literal with its size computed: `{n}` CRLF and the text. */
const lit = (text: string): string => `{${Buffer.byteLength(text)}}\r\n${text}`;
const hdr = (subject: string, id: string): string =>
  lit(`Subject: ${subject}\r\nMessage-ID: <${id}@x>\r\n\r\n`);

function actions(steps: Step[]): AuditAction[] {
  const trail = new AuditTrail('test');
  return trail.push(run(steps).events);
}

const LOGGED_IN: Step[] = [
  GREETING,
  'C:a1 LOGIN alice "s3cret"\r\n',
  'S:a1 OK [CAPABILITY IMAP4rev1 MOVE UIDPLUS] Logged in\r\n',
  'C:a2 SELECT INBOX\r\n',
  'S:* 3 EXISTS\r\n* OK [UIDVALIDITY 7] x\r\na2 OK [READ-WRITE] Selected\r\n',
];

describe('the audit trail derived from a session', () => {
  it('records a successful and a failed login with the user and the client address', () => {
    const a = actions([
      GREETING,
      'C:a1 LOGIN mallory wrong\r\n',
      'S:a1 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n',
      'C:a2 LOGIN alice "s3cret"\r\n',
      'S:a2 OK Logged in\r\n',
    ]);
    expect(a.map((x) => [x.kind, x.user, x.status, x.client])).toEqual([
      ['login', 'mallory', 'NO', '127.0.0.1:50000'],
      ['login', 'alice', 'OK', '127.0.0.1:50000'],
    ]);
    expect(JSON.stringify(a)).not.toContain('s3cret');
  });

  it('names the user of an AUTHENTICATE from the facts that follow it, never from the masked SASL data', () => {
    const a = actions([
      GREETING,
      'C:a1 AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA==\r\n',
      'S:a1 OK [CAPABILITY IMAP4rev1] Logged in\r\n',
      'C:a2 NOOP\r\n',
      'S:a2 OK done\r\n',
    ]);
    expect(a.map((x) => [x.kind, x.user, x.status, x.detail])).toEqual([
      ['login', 'alice', 'OK', 'AUTHENTICATE PLAIN succeeded from 127.0.0.1:50000'],
    ]);
  });

  it('names the user of an AUTHENTICATE and of what follows when the whole conversation came in one batch', () => {
    // The relay's outbox posts many chunks at once: the facts must not wait for the batch's end.
    const pipeline = new SessionPipeline({
      session: 'test',
      client: { host: '127.0.0.1', port: 50000 },
      upstream: { host: '127.0.0.1', port: 143 },
      startedAt: 1000,
    });
    const lines = [
      GREETING,
      'C:a1 AUTHENTICATE PLAIN\r\n',
      'S:+ \r\n',
      'C:AGFsaWNlAHNlY3JldA==\r\n',
      'S:a1 OK [CAPABILITY IMAP4rev1] Logged in\r\n',
      'C:a2 ID NIL\r\n',
      'S:* ID NIL\r\na2 OK done\r\n',
      'C:a3 CREATE Kept\r\n',
      'S:a3 OK created\r\n',
    ];
    const batch = lines.map((l, i) => ({
      direction: l.startsWith('C:') ? ('c2s' as const) : ('s2c' as const),
      data: Buffer.from(l.slice(2)),
      at: 1010 + i,
    }));
    const a = new AuditTrail('test').push(pipeline.push(batch).events);
    expect(a.map((x) => [x.kind, x.user, x.status])).toEqual([
      ['login', 'alice', 'OK'],
      ['create', 'alice', 'OK'],
    ]);
  });

  it('names a read by UID, Message-ID and Subject learnt from an earlier ENVELOPE fetch', () => {
    const a = actions([
      ...LOGGED_IN,
      'C:a3 UID FETCH 1:* (UID ENVELOPE)\r\n',
      'S:* 2 FETCH (UID 42 ENVELOPE ("Mon, 1 Dec 2026 10:00:00 +0000" "=?UTF-8?Q?Gr=C3=BC=C3=9Fe?=" NIL NIL NIL NIL NIL NIL NIL "<m42@example.org>"))\r\na3 OK Fetch completed\r\n',
      'C:a4 FETCH 2 (BODY[TEXT])\r\n',
      'S:* 2 FETCH (UID 42 BODY[TEXT] {5}\r\nhello)\r\na4 OK Fetch completed\r\n',
      'C:a5 FETCH 2 (BODY.PEEK[TEXT])\r\n',
      'S:* 2 FETCH (BODY[TEXT] {5}\r\nhello)\r\na5 OK Fetch completed\r\n',
    ]);
    const reads = a.filter((x) => x.kind === 'read');
    // The PEEK fetch does not set \Seen: it is not a read in the audit sense.
    expect(reads).toHaveLength(1);
    expect(reads[0]).toMatchObject({
      user: 'alice',
      mailbox: 'INBOX',
      command: 'FETCH',
      messages: [{ seq: 2, uid: 42, messageId: '<m42@example.org>', subject: 'Grüße' }],
    });
  });

  it('records flag changes, moves with COPYUID, expunges with the UIDs they removed, and appends', () => {
    const a = actions([
      ...LOGGED_IN,
      'C:a3 FETCH 1:3 (UID BODY.PEEK[HEADER.FIELDS (SUBJECT MESSAGE-ID)])\r\n',
      (`S:* 1 FETCH (UID 10 BODY[HEADER.FIELDS (SUBJECT MESSAGE-ID)] ${hdr('one', '1')})\r\n` +
        `* 2 FETCH (UID 11 BODY[HEADER.FIELDS (SUBJECT MESSAGE-ID)] ${hdr('two', '2')})\r\n` +
        `* 3 FETCH (UID 12 BODY[HEADER.FIELDS (SUBJECT MESSAGE-ID)] ${hdr('three', '3')})\r\n` +
        'a3 OK done\r\n') as Step,
      'C:a4 STORE 1 +FLAGS (\\Deleted)\r\n',
      'S:* 1 FETCH (FLAGS (\\Deleted))\r\na4 OK done\r\n',
      'C:a5 EXPUNGE\r\n',
      'S:* 1 EXPUNGE\r\na5 OK done\r\n',
      // After the expunge, UID 12 is message 2.
      'C:a6 UID MOVE 12 Archive\r\n',
      'S:* OK [COPYUID 9 12 500] Moved\r\n* 2 EXPUNGE\r\na6 OK done\r\n',
      `C:a7 APPEND Sent (\\Seen) ${hdr('sent', 's').replace('}', '+}')}\r\n` as Step,
      'S:a7 OK [APPENDUID 9 77] Append completed\r\n',
    ]);
    const byKind = (k: string) => a.filter((x) => x.kind === k);
    expect(byKind('flags')[0]).toMatchObject({
      flags: '+FLAGS (\\Deleted)',
      messages: [{ seq: 1, uid: 10, subject: 'one', messageId: '<1@x>' }],
    });
    expect(byKind('expunge')[0]).toMatchObject({
      messages: [{ seq: 1, uid: 10, subject: 'one' }],
    });
    expect(byKind('move')[0]).toMatchObject({
      command: 'UID MOVE',
      mailbox: 'INBOX',
      target: 'Archive',
      uids: '12→500',
      messages: [{ uid: 12, subject: 'three', messageId: '<3@x>' }],
    });
    // The MOVE's own EXPUNGE is part of the move, not a deletion.
    expect(byKind('expunge')).toHaveLength(1);
    expect(byKind('append')[0]).toMatchObject({
      mailbox: 'Sent',
      flags: '(\\Seen)',
      uids: '77',
      messages: [{ uid: 77, subject: 'sent', messageId: '<s@x>' }],
    });
  });

  it('records mailbox management and refused commands with their status', () => {
    const a = actions([
      ...LOGGED_IN,
      'C:a3 CREATE "&AMQ-rger"\r\n',
      'S:a3 OK Create completed\r\n',
      'C:a4 RENAME "&AMQ-rger" Old\r\n',
      'S:a4 OK done\r\n',
      'C:a5 DELETE Nope\r\n',
      'S:a5 NO [NONEXISTENT] Mailbox does not exist\r\n',
    ]);
    expect(a.slice(2).map((x) => [x.kind, x.mailbox, x.target, x.status])).toEqual([
      ['create', 'Ärger', null, 'OK'],
      ['rename', 'Ärger', 'Old', 'OK'],
      ['delete', 'Nope', null, 'NO'],
    ]);
  });
});

describe('header fields for naming messages', () => {
  it('decodes B and Q encoded words and joins adjacent ones', () => {
    expect(decodeHeaderWords('=?UTF-8?B?R3LDvMOfZQ==?= =?ISO-8859-1?Q?_und_M=FCh?=')).toBe(
      'Grüße und Müh',
    );
    expect(decodeHeaderWords('plain =?bogus')).toBe('plain =?bogus');
  });

  it('unfolds, stops at the blank line, and takes a field cut off by the preview', () => {
    const h = headerFields(
      Buffer.from('Subject: a\r\n long one\r\nMessage-ID: <x@y>\r\n\r\nSubject: body'),
    );
    expect(h).toEqual({ subject: 'a long one', messageId: '<x@y>' });
    expect(headerFields(Buffer.from('From: a\r\nSubject: cut of')).subject).toBe('cut of');
  });
});
