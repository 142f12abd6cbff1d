/**
 * Extension commands from the IANA registry are known: no "not an IMAP command" lint for a
 * command the server accepts. An unknown command is linted only when the server rejects it.
 */
import { describe, expect, it } from 'vitest';
import { commandReference } from '../../shared/imap-reference.ts';
import { KNOWN_EXTENSION_COMMANDS } from '../../shared/imap-extension-commands.ts';
import { run } from './dialog.ts';

const DOVECOT =
  'S:* PREAUTH [CAPABILITY IMAP4rev1 LITERAL+ ENABLE IDLE NOTIFY CONTEXT=SEARCH ESEARCH ESORT SORT METADATA] ok\r\n';

describe('the known-command table', () => {
  it('gives no lint for NOTIFY and CANCELUPDATE that the server announced and accepted', () => {
    const r = run([
      DOVECOT,
      'C:a1 NOTIFY SET (selected (MessageNew MessageExpunge))\r\n',
      'S:a1 OK NOTIFY completed\r\n',
      'C:a2 SELECT INBOX\r\n',
      'S:a2 OK [READ-WRITE] done\r\n',
      'C:a3 SEARCH RETURN (UPDATE) ALL\r\n',
      'S:* ESEARCH (TAG "a3") ALL 1:3\r\na3 OK done\r\n',
      'C:a4 CANCELUPDATE "a3"\r\n',
      'S:a4 OK done\r\n',
      'C:a5 NOTIFY NONE\r\n',
      'S:a5 OK done\r\n',
    ]);
    expect(r.lintCodes()).toEqual([]);
  });

  it('says nothing about an unknown command until the server answers, and nothing at OK', () => {
    expect(run([DOVECOT, 'C:a1 XYZZY\r\n']).lintCodes()).toEqual([]);
    expect(run([DOVECOT, 'C:a1 XYZZY\r\n', 'S:a1 OK fine\r\n']).lintCodes()).toEqual([]);
  });

  it('lints an unknown command once when the server answers BAD, quoting the server', () => {
    const r = run([DOVECOT, 'C:a1 XYZZY\r\n', 'S:a1 BAD Unknown command\r\n']);
    const lints = r.of('lint');
    expect(lints.map((l) => l.code)).toEqual(['LINT_UNKNOWN_COMMAND']);
    expect(lints[0]?.explanation).toMatch(/"Unknown command"/);
  });

  it('names the capability that would announce a known command the server did not announce', () => {
    const r = run([
      'S:* PREAUTH [CAPABILITY IMAP4rev1 IDLE] ok\r\n',
      'C:a1 GETQUOTAROOT INBOX\r\n',
      'S:a1 BAD Unknown command GETQUOTAROOT\r\n',
    ]);
    const [lint] = r.of('lint');
    expect(lint).toMatchObject({ code: 'LINT_COMPLETION_BAD', rfc: expect.stringMatching(/9208/) });
    expect(lint?.title).toMatch(/QUOTA/);
    expect(lint?.explanation).toMatch(/did not announce QUOTA/);
  });

  it('knows every command of the registry list with its RFC and announcing capability', () => {
    for (const name of [
      'NOTIFY',
      'CANCELUPDATE',
      'GETACL',
      'SETACL',
      'DELETEACL',
      'LISTRIGHTS',
      'MYRIGHTS',
      'GETQUOTA',
      'GETQUOTAROOT',
      'SETQUOTA',
      'GETMETADATA',
      'SETMETADATA',
      'SORT',
      'THREAD',
      'ESEARCH',
      'GENURLAUTH',
      'RESETKEY',
      'URLFETCH',
      'REPLACE',
      'UNAUTHENTICATE',
      'GETJMAPACCESS',
      'ID',
      'ENABLE',
      'MOVE',
      'IDLE',
      'NAMESPACE',
      'COMPRESS',
      'STARTTLS',
      'UNSELECT',
      'LANGUAGE',
      'COMPARATOR',
      'CONVERSIONS',
      'CONVERT',
      'XLIST',
    ]) {
      const ref = commandReference(name);
      expect(ref, name).toBeDefined();
      expect(ref?.rfc, name).toMatch(/RFC \d+|Gmail/);
      expect(ref?.capability, name).not.toBeNull();
    }
    const names = KNOWN_EXTENSION_COMMANDS.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
  });
});
