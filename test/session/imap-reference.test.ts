import { describe, expect, it } from 'vitest';
import {
  COMMAND_REFERENCE,
  RESPONSE_CODE_REFERENCE,
  RESPONSE_REFERENCE,
  commandReference,
} from '../../shared/imap-reference.ts';

describe('the teaching reference', () => {
  it('covers every command of RFC 3501 / RFC 9051 and of the followed extensions', () => {
    const expected = [
      'CAPABILITY',
      'NOOP',
      'LOGOUT',
      'STARTTLS',
      'AUTHENTICATE',
      'LOGIN',
      'ENABLE',
      'SELECT',
      'EXAMINE',
      'CREATE',
      'DELETE',
      'RENAME',
      'SUBSCRIBE',
      'UNSUBSCRIBE',
      'LIST',
      'LSUB',
      'NAMESPACE',
      'STATUS',
      'APPEND',
      'IDLE',
      'CHECK',
      'CLOSE',
      'UNSELECT',
      'EXPUNGE',
      'SEARCH',
      'FETCH',
      'STORE',
      'COPY',
      'MOVE',
      'UID',
      'ID',
      'COMPRESS',
    ];
    for (const name of expected) expect(COMMAND_REFERENCE.has(name), name).toBe(true);
  });

  it('covers the responses and response codes, ESEARCH, VANISHED and the UIDPLUS codes included', () => {
    for (const name of [
      'OK',
      'NO',
      'BAD',
      'PREAUTH',
      'BYE',
      'CAPABILITY',
      'LIST',
      'ESEARCH',
      'VANISHED',
      'ENABLED',
      'FETCH',
      '+',
    ])
      expect(RESPONSE_REFERENCE.has(name), name).toBe(true);
    for (const name of [
      'ALERT',
      'TRYCREATE',
      'APPENDUID',
      'COPYUID',
      'HIGHESTMODSEQ',
      'UNKNOWN-CTE',
      'USEATTR',
    ])
      expect(RESPONSE_CODE_REFERENCE.has(name), name).toBe(true);
  });

  it('gives each entry a summary of one or two sentences and an RFC section', () => {
    for (const r of [
      ...COMMAND_REFERENCE.values(),
      ...RESPONSE_REFERENCE.values(),
      ...RESPONSE_CODE_REFERENCE.values(),
    ]) {
      expect(r.summary.length, r.name).toBeGreaterThan(10);
      expect(
        r.summary.split(/[.!?](?:\s|$)/).filter((x) => x.trim()).length,
        r.name,
      ).toBeLessThanOrEqual(3);
      expect(r.rfc, r.name).toMatch(/RFC \d+|Gmail/);
    }
  });

  it('says FETCH is valid only in the selected state (§6.4.5) and LOGOUT in any (§6.1.3)', () => {
    expect(commandReference('fetch')).toMatchObject({
      states: ['selected'],
      minArgs: 2,
      rfc: expect.stringMatching(/§6\.4\.5/),
    });
    expect(commandReference('LOGOUT')?.states).toEqual([
      'not-authenticated',
      'authenticated',
      'selected',
    ]);
    expect(commandReference('QUIT')).toBeUndefined();
  });
});
