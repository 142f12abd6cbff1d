/**
 * The compliance check: a raw client sends the exact forms of every command in Dovecot's
 * capability list (with ACL, QUOTA, METADATA and NOTIFY loaded) through imapscope. The proxy
 * must decode all of it (zero malformed), pair every exchange, and raise no lint the server's
 * answer contradicts.
 */
import { describe, expect, it } from 'vitest';
import type { LogLine } from '../helpers/imapscope.ts';
import { rawSession } from '../helpers/raw-imap.ts';
import { useScopeOverDovecot } from '../helpers/scope-over-dovecot.ts';

const stack = useScopeOverDovecot({
  args: ['--log-level', 'debug'],
  dovecot: { extensions: true },
});

const mail = (subject: string, body = 'Hello there, this is the body.'): string =>
  `From: a@example.test\r\nTo: b@example.test\r\nSubject: ${subject}\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\nMessage-ID: <${subject.replace(/\W/g, '')}@example.test>\r\n\r\n${body}\r\n`;
const lit = (s: string): string => `{${Buffer.byteLength(s)}+}\r\n${s}`;

/** The commands after LOGIN, in order; every one must complete OK except XYZZY (BAD). */
const COMMANDS = [
  'ENABLE QRESYNC',
  'NAMESPACE',
  'LIST "" "*"',
  'LIST (SUBSCRIBED) "" "*" RETURN (CHILDREN SPECIAL-USE STATUS (MESSAGES UNSEEN SIZE))',
  'LIST "" "*" RETURN (SPECIAL-USE)',
  'CREATE rp[x]',
  'CREATE Archive',
  'SUBSCRIBE rp[x]',
  'LSUB "" "*"',
  'LIST "" rp[*',
  `APPEND INBOX (\\Seen) ${lit(mail('first'))}`,
  `APPEND INBOX (\\Flagged) ${lit(mail('second'))} ${lit(mail('Re: first'))}`,
  `APPEND INBOX CATENATE (TEXT ${lit(mail('catenated'))})`,
  `APPEND INBOX ~${lit(mail('binary'))}`,
  'STATUS INBOX (MESSAGES UIDNEXT UIDVALIDITY UNSEEN HIGHESTMODSEQ SIZE)',
  'SETMETADATA INBOX (/private/comment "hello")',
  'GETMETADATA INBOX /private/comment',
  'GETMETADATA (DEPTH infinity) "" /private',
  'GETQUOTAROOT INBOX',
  'GETQUOTA "User quota"',
  'MYRIGHTS INBOX',
  'GETACL rp[x]',
  'LISTRIGHTS rp[x] test2',
  'SETACL rp[x] test2 lr',
  'DELETEACL rp[x] test2',
  'SELECT rp[x]',
  'UNSELECT',
  'SELECT INBOX (CONDSTORE)',
  'NOTIFY SET (selected (MessageNew MessageExpunge FlagChange)) (personal (MessageNew MessageExpunge))',
  'FETCH 1:* (FLAGS UID MODSEQ ENVELOPE BODYSTRUCTURE INTERNALDATE RFC822.SIZE SAVEDATE)',
  'FETCH 1 (BODY.PEEK[HEADER.FIELDS (SUBJECT)] BODY.PEEK[TEXT]<0.10> BINARY.PEEK[1] BINARY.SIZE[1] PREVIEW)',
  'UID FETCH 1:* (FLAGS) (CHANGEDSINCE 1)',
  'STORE 1 +FLAGS (NIL $Forwarded)',
  'FETCH 1 (FLAGS)',
  'STORE 2 (UNCHANGEDSINCE 1) +FLAGS.SILENT (\\Answered)',
  'SEARCH RETURN (MIN MAX COUNT ALL) ALL',
  'UID SEARCH RETURN (SAVE) FLAGGED',
  'UID FETCH $ (UID)',
  'SEARCH RETURN (COUNT UPDATE) ALL',
  `APPEND INBOX ${lit(mail('update'))}`,
  'NOOP',
  'CANCELUPDATE "{update}"',
  'SEARCH MODSEQ 1',
  'SEARCH YOUNGER 3600',
  'SORT (REVERSE DATE) UTF-8 ALL',
  'UID SORT RETURN (MIN MAX COUNT) (SUBJECT) UTF-8 ALL',
  'THREAD REFERENCES UTF-8 ALL',
  'THREAD ORDEREDSUBJECT UTF-8 ALL',
  'COPY 1 Archive',
  'MOVE 2 Archive',
  'STORE 1 +FLAGS.SILENT (\\Deleted)',
  'UID EXPUNGE 1',
  'EXPUNGE',
  'UID FETCH 1:* (FLAGS) (CHANGEDSINCE 1 VANISHED)',
  'CHECK',
  'CLOSE',
  'EXAMINE Archive',
  'NOTIFY NONE',
  'XYZZY',
  'ID ("name" "imapscope-compliance" "version" "1")',
  'DELETE rp[x]',
];

async function closed(session: string): Promise<LogLine[]> {
  const { scope } = stack();
  await scope.waitForLog((l) => l.msg === 'session close' && l.session === session, 15_000);
  return scope.logs.filter((l) => l.session === session);
}

describe('a broad extension command set through imapscope against Dovecot', () => {
  it('decodes every message, pairs every exchange and raises no lint the server contradicts', async () => {
    const { scope, dovecot } = stack();
    const mark = scope.logs.length;
    const c = await rawSession(scope.listen.host, scope.listen.port);
    const answers = new Map<string, string>();
    const ask = async (tag: string, command: string): Promise<void> => {
      const lines = await c.command(tag, command);
      answers.set(tag, String(lines.at(-1)).split(' ')[1] ?? '');
    };
    await ask('c0', 'CAPABILITY');
    await ask('c1', `LOGIN ${dovecot.user} ${dovecot.password}`);
    const update = `c${COMMANDS.indexOf('SEARCH RETURN (COUNT UPDATE) ALL') + 2}`;
    for (const [i, command] of COMMANDS.entries())
      await ask(`c${i + 2}`, command.replace('{update}', update));
    await ask('i1', 'SELECT INBOX');
    c.send('i2 IDLE');
    await c.waitFor(/^\+ /);
    c.send('DONE');
    await c.waitFor(/^i2 OK/);
    answers.set('i2', 'OK');
    await ask('z1', 'COMPRESS DEFLATE');
    c.compress();
    await ask('z2', 'NOOP');
    await ask('z3', 'LOGOUT');
    c.close();

    // The script itself is right: Dovecot accepted everything but the made-up command.
    const refused = [...answers].filter(([, status]) => status !== 'OK');
    expect(refused).toEqual([[`c${COMMANDS.indexOf('XYZZY') + 2}`, 'BAD']]);

    const session = String(scope.logs.slice(mark).find((l) => l.msg === 'session open')?.session);
    const lines = await closed(session);
    expect(lines.filter((l) => l.msg === 'malformed')).toEqual([]);

    const exchanges = lines.filter((l) => l.msg === 'exchange');
    expect(exchanges.map((e) => e.tag).sort()).toEqual([...answers.keys()].sort());
    for (const e of exchanges) expect(e.status, String(e.tag)).toBe(answers.get(String(e.tag)));

    // Lints: cleartext LOGIN (true on a plain connection), and the one command Dovecot refused.
    const lints = lines.filter((l) => String(l.msg).startsWith('lint: '));
    expect(lints.map((l) => l.code)).toEqual(['LINT_CLEARTEXT_LOGIN', 'LINT_UNKNOWN_COMMAND']);
    expect(String(lints[1]?.msg)).toMatch(/XYZZY/);

    const selects = lines.filter((l) => l.msg === 'state change' && l.to === 'selected');
    expect(selects[0]?.mailbox).toBe('rp[x]');
    expect(
      lines.some((l) => l.msg === 'message' && /^\* ESEARCH .*ADDTO/.test(String(l.raw))),
    ).toBe(true);
    expect(lines.some((l) => l.msg === 'message' && /FLAGS \(.*NIL/.test(String(l.raw)))).toBe(
      true,
    );
  });
});
