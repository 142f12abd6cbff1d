import { describe, expect, it } from 'vitest';
import { LINT_CODES } from '../../shared/events.ts';
import { GREETING, run, type Step } from './dialog.ts';

describe('the session tracker lints protocol mistakes', () => {
  it('flags FETCH before SELECT as invalid in the authenticated state (§6.4.5)', () => {
    const r = run([
      'S:* PREAUTH ok\r\n',
      'C:a1 FETCH 1 (FLAGS)\r\n',
      'S:a1 BAD No mailbox selected\r\n',
    ]);
    const [state, bad] = r.of('lint');
    expect(state).toMatchObject({ code: 'LINT_COMMAND_INVALID_STATE', severity: 'error' });
    expect(state?.explanation).toMatch(/SELECT or EXAMINE/);
    expect(state?.rfc).toMatch(/§6\.4\.5/);
    expect(bad?.code).toBe('LINT_COMPLETION_BAD');
    expect(bad?.title).toMatch(/not valid in the authenticated state/);
  });

  it('flags a command sent after LOGOUT', () => {
    const r = run([
      'S:* PREAUTH ok\r\n',
      'C:a1 LOGOUT\r\n',
      'S:* BYE bye\r\na1 OK done\r\n',
      'C:a2 NOOP\r\n',
    ]);
    expect(r.lintCodes()).toEqual(['LINT_COMMAND_INVALID_STATE']);
  });

  it('flags an unknown command the server refused with what IMAP uses instead', () => {
    const r = run(['S:* PREAUTH ok\r\n', 'C:a1 USER bob\r\n', 'S:a1 BAD Unknown command\r\n']);
    const [lint] = r.of('lint');
    expect(lint).toMatchObject({
      code: 'LINT_UNKNOWN_COMMAND',
      rfc: expect.stringMatching(/§6\.2\.3/),
    });
    expect(lint?.explanation).toMatch(/LOGIN user password/);
  });

  it('flags a tag reused while a command with it is in flight', () => {
    const r = run([
      'S:* PREAUTH ok\r\n',
      'C:a1 NOOP\r\na1 NOOP\r\n',
      'S:a1 OK done\r\na1 OK done\r\n',
    ]);
    expect(r.lintCodes()).toEqual(['LINT_TAG_REUSED']);
    expect(r.of('exchange')).toHaveLength(2);
  });

  it('flags a completion for a tag never sent', () => {
    const r = run(['S:* PREAUTH ok\r\n', 'S:zz9 OK what?\r\n']);
    expect(r.lintCodes()).toEqual(['LINT_UNKNOWN_TAG']);
  });

  it('flags LOGIN in cleartext, and LOGIN when the server advertised LOGINDISABLED', () => {
    const plain = run([GREETING, 'C:a1 LOGIN u p\r\n']);
    expect(plain.lintCodes()).toEqual(['LINT_CLEARTEXT_LOGIN']);
    const disabled = run([
      'S:* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] hi\r\n',
      'C:a1 LOGIN u p\r\n',
    ]);
    expect(disabled.lintCodes()).toEqual(['LINT_CLEARTEXT_LOGIN', 'LINT_LOGIN_DISABLED']);
    const overTls = run([GREETING, 'C:a1 LOGIN u p\r\n'], { tls: true });
    expect(overTls.lintCodes()).toEqual([]);
  });

  it('flags AUTHENTICATE PLAIN in cleartext as a warning and SCRAM as info', () => {
    const plain = run([GREETING, 'C:a1 AUTHENTICATE PLAIN AHUAcA==\r\n']);
    expect(plain.of('lint').map((l) => [l.code, l.severity])).toEqual([
      ['LINT_CLEARTEXT_LOGIN', 'warning'],
    ]);
    const scram = run([GREETING, 'C:a1 AUTHENTICATE SCRAM-SHA-256\r\n']);
    expect(scram.of('lint').map((l) => l.severity)).toEqual(['info']);
  });

  it('flags a synchronizing literal sent without waiting for +', () => {
    const r = run([
      'S:* PREAUTH [CAPABILITY IMAP4rev1] ok\r\n',
      'C:a1 APPEND INBOX {5}\r\nhello\r\n',
      'S:+ go ahead\r\na1 OK done\r\n',
    ]);
    expect(r.lintCodes()).toEqual(['LINT_LITERAL_NOT_SYNCHRONIZED']);
    expect(r.of('exchange')[0]?.status).toBe('OK');
  });

  it('flags {n+} when the server has no LITERAL+ and accepts it when it has', () => {
    const without = run([
      'S:* PREAUTH [CAPABILITY IMAP4rev1] ok\r\n',
      'C:a1 APPEND INBOX {5+}\r\nhello\r\n',
    ]);
    expect(without.lintCodes()).toEqual(['LINT_NONSYNC_LITERAL_UNSUPPORTED']);
    const withPlus = run([
      'S:* PREAUTH [CAPABILITY IMAP4rev1 LITERAL+] ok\r\n',
      'C:a1 APPEND INBOX {5+}\r\nhello\r\n',
    ]);
    expect(withPlus.lintCodes()).toEqual([]);
  });

  it('flags {n+} past 4096 bytes when the server has LITERAL- and not LITERAL+', () => {
    const at = (n: number) =>
      run([
        'S:* PREAUTH [CAPABILITY IMAP4rev1 LITERAL-] ok\r\n',
        `C:a1 APPEND INBOX {${n}+}\r\n${'x'.repeat(n)}\r\n`,
      ]).lintCodes();
    expect(at(4096)).toEqual([]);
    expect(at(4097)).toEqual(['LINT_LITERAL_MINUS_TOO_LARGE']);
    const both = run([
      'S:* PREAUTH [CAPABILITY IMAP4rev1 LITERAL- LITERAL+] ok\r\n',
      `C:a1 APPEND INBOX {4097+}\r\n${'x'.repeat(4097)}\r\n`,
    ]);
    expect(both.lintCodes()).toEqual([]);
  });

  it('explains every NO, using the response code when there is one', () => {
    const r = run(
      [
        'S:* OK hi\r\n',
        'C:a1 LOGIN u wrong\r\n',
        'S:a1 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n',
      ],
      { tls: true },
    );
    const [no] = r.of('lint');
    expect(no).toMatchObject({
      code: 'LINT_COMPLETION_NO',
      rfc: expect.stringMatching(/RFC 5530/),
    });
    expect(no?.explanation).toMatch(/Wrong credentials/);
    expect(r.states()).toEqual(['not-authenticated']);
  });

  it('flags a bare-LF line end once per direction', () => {
    const r = run(['S:* PREAUTH ok\n', 'C:a1 NOOP\na2 NOOP\n', 'S:a1 OK done\r\na2 OK done\n']);
    const lfs = r.of('lint').filter((l) => l.code === 'LINT_BARE_LF');
    expect(lfs.map((l) => r.events.find((e) => e.seq === l.relatedSeq))).toMatchObject([
      { type: 'message', message: { type: 'greeting' } },
      { type: 'message', message: { type: 'command', tag: 'a1' } },
    ]);
    expect(r.lintCodes()).toEqual(['LINT_BARE_LF', 'LINT_BARE_LF']);
  });

  it('flags an EXPUNGE with no command in progress or during FETCH, STORE, SEARCH (§7.5.1)', () => {
    const selected: Step[] = [
      'S:* PREAUTH ok\r\n',
      'C:a0 SELECT INBOX\r\n',
      'S:* 3 EXISTS\r\na0 OK\r\n',
    ];
    const expunge = (steps: Step[]) =>
      run([...selected, ...steps])
        .of('lint')
        .filter((l) => l.code === 'LINT_EXPUNGE_NOT_ALLOWED')
        .map((l) => l.title);
    expect(expunge(['S:* 1 EXPUNGE\r\n'])).toEqual([
      'EXPUNGE sent while no command was in progress',
    ]);
    for (const cmd of ['FETCH 1:* (FLAGS)', 'STORE 1 +FLAGS (\\Seen)', 'SEARCH ALL']) {
      expect(expunge([`C:a1 ${cmd}\r\n`, 'S:* 1 EXPUNGE\r\na1 OK\r\n'])).toEqual([
        'EXPUNGE sent during FETCH, STORE or SEARCH',
      ]);
      expect(expunge([`C:a1 UID ${cmd}\r\n`, 'S:* 1 EXPUNGE\r\na1 OK\r\n'])).toEqual([]);
    }
    expect(expunge(['C:a1 NOOP\r\n', 'S:* 1 EXPUNGE\r\na1 OK\r\n'])).toEqual([]);
    expect(expunge(['C:a1 EXPUNGE\r\n', 'S:* 1 EXPUNGE\r\na1 OK\r\n'])).toEqual([]);
  });

  it('flags commands pipelined behind STARTTLS when TLS passes through imapscope', () => {
    const r = run([
      'S:* OK [CAPABILITY IMAP4rev1 STARTTLS] hi\r\n',
      'C:a1 STARTTLS\r\na2 LOGIN victim secret\r\n',
      'S:a1 OK Begin TLS negotiation now\r\n',
      {
        transport: {
          type: 'transport.notice',
          code: 'STARTTLS_PASSTHROUGH',
          direction: null,
          message: 'STARTTLS went end to end',
          bytes: 0,
        },
      },
    ]);
    const injection = r.of('lint').filter((l) => l.code === 'LINT_STARTTLS_INJECTION');
    expect(injection).toHaveLength(1);
    expect(injection[0]?.title).toMatch(/^LOGIN sent after STARTTLS/);
    const related = r.events.find((e) => e.seq === injection[0]?.relatedSeq);
    expect(related).toMatchObject({ message: { type: 'command', tag: 'a2' } });
    // A STARTTLS answered before the next command is no injection.
    const fine = run([
      'S:* OK [CAPABILITY IMAP4rev1 STARTTLS] hi\r\n',
      'C:a1 STARTTLS\r\n',
      'S:a1 NO not now\r\n',
      'C:a2 NOOP\r\n',
    ]);
    expect(fine.lintCodes()).not.toContain('LINT_STARTTLS_INJECTION');
  });

  it('uses only codes from the stable list, each with a title, explanation and RFC section', () => {
    const r = run([
      'S:* OK [CAPABILITY IMAP4rev1 LOGINDISABLED] hi\r\n',
      'C:a1 LOGIN u p\r\n',
      'S:a1 NO nope\r\n',
      'C:a2 FETCH 1\r\n',
      'S:a2 BAD bad\r\n',
      'C:a3 QUIT\r\n',
      'S:zz OK huh\r\n',
    ]);
    expect(r.of('lint').length).toBeGreaterThanOrEqual(6);
    for (const l of r.of('lint')) {
      expect(LINT_CODES).toContain(l.code);
      expect(l.title.length).toBeGreaterThan(5);
      expect(l.explanation.length).toBeGreaterThan(40);
      expect(l.rfc).toMatch(/RFC \d+/);
    }
  });
});
