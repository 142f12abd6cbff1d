/**
 * Dovecot's post-login rawlogs start after imap-login answered the client's login: the tracker,
 * told the login's tag, takes its completion as that login's (no unknown-tag lint) and moves to
 * Authenticated; without the option the same bytes get the lint and stay Not Authenticated.
 */
import { describe, expect, it } from 'vitest';
import { run, type Step } from './dialog.ts';

const POST_LOGIN: Step[] = [
  'S:* CAPABILITY IMAP4rev1 SASL-IR LITERAL+ IDLE MOVE\r\n',
  'S:a0001 OK Logged in\r\n',
  'C:a0002 SELECT INBOX\r\n',
  'S:* 2 EXISTS\r\n',
  'S:a0002 OK [READ-WRITE] Select completed\r\n',
  'C:a0003 LOGOUT\r\n',
  'S:* BYE Logging out\r\n',
  'S:a0003 OK Logout completed\r\n',
];

describe('a session that starts after its login (startsAfterLogin)', () => {
  it('takes the first completion as the login: no lint, Authenticated, then the rest as usual', () => {
    const r = run(POST_LOGIN, { startsAfterLogin: 'a0001' });
    expect(r.lintCodes()).toEqual([]);
    expect(r.states()).toEqual(['not-authenticated', 'authenticated', 'selected', 'logout']);
    expect(r.of('state.change')[0]).toMatchObject({
      to: 'authenticated',
      cause: { tag: 'a0001', command: null, text: 'Logged in' },
    });
    expect(r.of('exchange').map((x) => `${x.command} ${x.status}`)).toEqual([
      'SELECT OK',
      'LOGOUT OK',
    ]);
  });

  it('without the option the same bytes get an unknown-tag lint, and SELECT seems too early', () => {
    const r = run(POST_LOGIN);
    expect(r.lintCodes()).toEqual(['LINT_UNKNOWN_TAG', 'LINT_COMMAND_INVALID_STATE']);
    expect(r.states()[1]).not.toBe('authenticated');
  });

  it('a refused login stays Not Authenticated; only the first such completion is the login', () => {
    const r = run(
      ['S:a1 NO [AUTHENTICATIONFAILED] Authentication failed\r\n', 'S:a1 OK again\r\n'],
      { startsAfterLogin: 'a1' },
    );
    expect(r.states()).toEqual(['not-authenticated']);
    expect(r.lintCodes()).toEqual(['LINT_UNKNOWN_TAG']);
  });
});
