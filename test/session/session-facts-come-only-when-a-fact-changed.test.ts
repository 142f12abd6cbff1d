import { describe, expect, it } from 'vitest';
import { GREETING, run } from './dialog.ts';

describe('session.facts', () => {
  it('come only when a fact changed: no two in a row of a session say the same', () => {
    const r = run([
      GREETING,
      'C:b1 LOGIN user pass\r\n',
      'S:b1 OK [CAPABILITY IMAP4rev1 IDLE MOVE] Logged in\r\n',
      // A SELECT from the authenticated state: no mailbox counters to forget.
      'C:b2 SELECT INBOX\r\n',
      'S:* 3 EXISTS\r\n* OK [UIDVALIDITY 17] UIDs valid\r\nb2 OK [READ-WRITE] Select completed.\r\n',
      // The same capabilities again.
      'C:b3 CAPABILITY\r\n',
      'S:* CAPABILITY IMAP4rev1 IDLE MOVE\r\nb3 OK done\r\n',
      'C:b4 UNSELECT\r\n',
      'S:b4 OK done\r\n',
      // No mailbox is open: a CLOSE now changes nothing.
      'C:b5 CLOSE\r\n',
      'S:b5 BAD no mailbox selected\r\n',
      'C:b6 LOGOUT\r\n',
      'S:* BYE Logging out\r\nb6 OK Logout completed.\r\n',
    ]);
    const facts = r.of('session.facts').map(({ seq, gseq, at, ...f }) => {
      void [seq, gseq, at];
      return JSON.stringify(f);
    });
    const repeats = facts.filter((f, i) => i > 0 && f === facts[i - 1]);
    expect(repeats).toEqual([]);
    // Every change is still there: the login's user and capabilities, the mailbox, the logout.
    expect(r.of('session.facts').at(-1)).toMatchObject({ state: 'logout', user: 'user' });
    expect(r.of('session.facts').some((f) => f.mailbox === 'INBOX' && f.exists === 3)).toBe(true);
  });
});
