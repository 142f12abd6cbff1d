import { describe, expect, it } from 'vitest';
import { GREETING, run } from './dialog.ts';

describe('the session tracker follows the IMAP states', () => {
  it('walks the seed dialog from not authenticated through authenticated and selected to logout', () => {
    const r = run([
      GREETING,
      'C:A0001 LOGIN user pass\r\n',
      'S:A0001 OK [CAPABILITY IMAP4rev1 IDLE MOVE] Logged in\r\n',
      'C:A0002 CREATE mailbox1\r\n',
      'S:A0002 OK Create completed.\r\n',
      'C:A0003 SELECT mailbox1\r\n',
      'S:* FLAGS (\\Seen)\r\n* 0 EXISTS\r\n* OK [UIDVALIDITY 1700000000] UIDs valid\r\nA0003 OK [READ-WRITE] Select completed.\r\n',
      'C:A0004 FETCH 1:3\r\n',
      'S:A0004 BAD Error in IMAP command FETCH: Invalid arguments\r\n',
      'C:A0005 Quit\r\n',
      'S:A0005 BAD Error in IMAP command QUIT: Unknown command\r\n',
      'C:A0006 LOGOUT\r\n',
      'S:* BYE Logging out\r\nA0006 OK Logout completed.\r\n',
    ]);
    expect(r.states()).toEqual(['not-authenticated', 'authenticated', 'selected', 'logout']);
    const fetch = r
      .of('lint')
      .find((l) => l.code === 'LINT_COMPLETION_BAD' && /FETCH/.test(l.title));
    expect(fetch?.rfc).toMatch(/RFC 3501 §6\.4\.5/);
    expect(fetch?.explanation).toMatch(/data-items/);
    const quit = r.of('lint').filter((l) => /QUIT/.test(l.title));
    expect(quit.map((l) => l.code)).toEqual(['LINT_UNKNOWN_COMMAND']);
    expect(quit[0]?.rfc).toMatch(/§6\.1\.3/);
    expect(quit[0]?.explanation).toMatch(/LOGOUT/);
    const close = r.of('session.close')[0];
    expect(close).toMatchObject({ state: 'logout', user: 'user' });
    expect(r.of('state.change')[1]).toMatchObject({ mailbox: 'mailbox1', readOnly: false });
  });

  it('starts authenticated after a PREAUTH greeting', () => {
    const r = run(['S:* PREAUTH [CAPABILITY IMAP4rev1] welcome back\r\n']);
    expect(r.states()).toEqual(['not-authenticated', 'authenticated']);
    expect(r.of('state.change')[0]?.cause).toMatchObject({ tag: null, text: 'welcome back' });
  });

  it('goes to logout on a BYE greeting', () => {
    expect(run(['S:* BYE too many connections\r\n']).states()).toEqual([
      'not-authenticated',
      'logout',
    ]);
  });

  it('falls back to authenticated when a SELECT fails while a mailbox is selected', () => {
    const r = run([
      'S:* PREAUTH ok\r\n',
      'C:a1 SELECT INBOX\r\n',
      'S:a1 OK [READ-WRITE] done\r\n',
      'C:a2 SELECT nosuch\r\n',
      'S:a2 NO [NONEXISTENT] Mailbox does not exist\r\n',
    ]);
    expect(r.states()).toEqual(['not-authenticated', 'authenticated', 'selected', 'authenticated']);
    const no = r.of('lint').find((l) => l.code === 'LINT_COMPLETION_NO');
    expect(no?.explanation).toMatch(/NONEXISTENT/);
  });

  it('returns to authenticated on CLOSE and on UNSELECT, and marks EXAMINE read-only', () => {
    const r = run([
      'S:* PREAUTH ok\r\n',
      'C:a1 EXAMINE INBOX\r\n',
      'S:a1 OK [READ-ONLY] done\r\n',
      'C:a2 CLOSE\r\n',
      'S:a2 OK done\r\n',
      'C:a3 SELECT "Sent &AMQ-"\r\n',
      'S:a3 OK done\r\n',
      'C:a4 UNSELECT\r\n',
      'S:a4 OK done\r\n',
    ]);
    expect(r.states()).toEqual([
      'not-authenticated',
      'authenticated',
      'selected',
      'authenticated',
      'selected',
      'authenticated',
    ]);
    const selects = r.of('state.change').filter((s) => s.to === 'selected');
    expect(selects.map((s) => [s.mailbox, s.readOnly])).toEqual([
      ['INBOX', true],
      ['Sent Ä', false],
    ]);
  });

  it('keeps UIDVALIDITY, EXISTS, ENABLEd extensions and capabilities in the session facts', () => {
    const r = run(
      [
        'S:* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] hi\r\n',
        'C:a1 LOGIN u p\r\n',
        'S:a1 OK done\r\n',
        'C:a2 CAPABILITY\r\n',
        'S:* CAPABILITY IMAP4rev1 ENABLE CONDSTORE\r\na2 OK done\r\n',
        'C:a3 ENABLE CONDSTORE\r\n',
        'S:* ENABLED CONDSTORE\r\na3 OK done\r\n',
        'C:a4 SELECT INBOX\r\n',
        'S:* 7 EXISTS\r\n* OK [UIDVALIDITY 42] ok\r\na4 OK [READ-WRITE] done\r\n',
        'S:* 3 EXPUNGE\r\n',
      ],
      {},
      false,
    );
    const facts = r.of('session.facts');
    // Forgotten after login (the OK carried no CAPABILITY code), then learned again.
    expect(facts.some((f) => f.state === 'authenticated' && f.capabilities.length === 0)).toBe(
      true,
    );
    expect(facts.at(-1)).toMatchObject({
      state: 'selected',
      capabilities: ['IMAP4REV1', 'ENABLE', 'CONDSTORE'],
      enabled: ['CONDSTORE'],
      mailbox: 'INBOX',
      uidValidity: 42,
      exists: 6,
      user: 'u',
    });
  });

  it('keeps capabilities the server announced within the LOGIN exchange (RFC 9051 §7.2.2)', () => {
    for (const announce of <const>[
      'S:* CAPABILITY IMAP4rev1 IDLE MOVE\r\n',
      'S:* OK [CAPABILITY IMAP4rev1 IDLE MOVE] logged in\r\n',
    ]) {
      const r = run(
        [
          'S:* OK [CAPABILITY IMAP4rev1 LITERAL+ AUTH=PLAIN] hi\r\n',
          'C:a1 LOGIN u p\r\n',
          announce,
          'S:a1 OK done\r\n',
          // A capability-dependent lint: the new list has no LITERAL+.
          'C:a2 APPEND INBOX {5+}\r\nhello\r\n',
        ],
        { tls: true },
        false,
      );
      expect(r.of('session.facts').at(-1)).toMatchObject({
        state: 'authenticated',
        capabilities: ['IMAP4REV1', 'IDLE', 'MOVE'],
      });
      expect(r.lintCodes()).toEqual(['LINT_NONSYNC_LITERAL_UNSUPPORTED']);
    }
  });

  it('stamps the first session.facts with the time the session started, not 0', () => {
    // As the application does: push([]) right after the session opened.
    const events = run([], {}, false).pipeline.push([]).events;
    const first = events.find((e) => e.type === 'session.facts');
    expect(first?.at).toBe(1000);
  });

  it('forgets capabilities after STARTTLS and pauses decoding until TLS is established', () => {
    const r = run([
      'S:* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] hi\r\n',
      'C:a1 STARTTLS\r\n',
      'S:a1 OK Begin TLS negotiation now.\r\n',
      'C:\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 ciphertext\r\n',
      'S:\x16\x03\x03 more ciphertext',
      {
        transport: {
          type: 'tls.established',
          leg: 'client',
          via: 'starttls',
          protocol: 'TLSv1.3',
          cipher: null,
          sni: null,
          alpn: null,
          authorized: null,
          authorizationError: null,
          certificate: null,
        },
      },
      'C:a2 CAPABILITY\r\n',
      'S:* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\na2 OK done\r\n',
      'C:a3 LOGIN u p\r\n',
      'S:a3 OK done\r\n',
    ]);
    expect(r.of('malformed')).toEqual([]);
    expect(r.of('tls.established')).toHaveLength(1);
    expect(r.of('exchange').map((e) => [e.tag, e.status])).toEqual([
      ['a1', 'OK'],
      ['a2', 'OK'],
      ['a3', 'OK'],
    ]);
    // LOGINDISABLED was forgotten with the rest, and the login went over TLS: no lints.
    expect(r.lintCodes()).toEqual([]);
    expect(r.of('session.facts').at(-1)).toMatchObject({ tls: true, state: 'authenticated' });
  });

  it('stops decoding for good when the net layer says STARTTLS passed through', () => {
    const r = run([
      GREETING,
      'C:a1 STARTTLS\r\n',
      'S:a1 OK go\r\n',
      {
        transport: {
          type: 'transport.notice',
          code: 'STARTTLS_PASSTHROUGH',
          direction: null,
          message: 'TLS end to end: not inspectable',
          bytes: 0,
        },
      },
      'C:\x16\x03\x01 garbage\r\n',
    ]);
    expect(r.of('malformed')).toEqual([]);
    expect(r.lintCodes()).toEqual(['LINT_STARTTLS_PASSTHROUGH']);
  });
});
