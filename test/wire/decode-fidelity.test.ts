/**
 * Valid traffic from Dovecot's compliance run that the decoder once called malformed: list
 * values in ESEARCH, `[` inside mailbox names, the keyword NIL in a flag list. Every case runs
 * whole, byte by byte and at random splits (decodeAllWays).
 */
import { describe, expect, it } from 'vitest';
import type { UntaggedData } from '../../shared/messages.ts';
import { as, decodeAllWays } from './split.ts';

function data(line: string): UntaggedData {
  const [, m] = decodeAllWays('s2c', `* OK hi\r\n${line}\r\n`);
  return as(m, 'untagged').data;
}

const command = (line: string) => as(decodeAllWays('c2s', `${line}\r\n`)[0], 'command');

describe('ESEARCH keeps list values', () => {
  it('decodes CONTEXT updates ADDTO and REMOVEFROM with their (position set) lists', () => {
    expect(
      data('* ESEARCH (TAG "C01") UID ADDTO (0 3:4) REMOVEFROM (1 7) ADDTO (2 9) COUNT 4'),
    ).toEqual({
      kind: 'esearch',
      tag: 'C01',
      mailbox: null,
      uidValidity: null,
      uid: true,
      items: { COUNT: 4 },
      updates: [
        { op: 'ADDTO', position: 0, set: '3:4' },
        { op: 'REMOVEFROM', position: 1, set: '7' },
        { op: 'ADDTO', position: 2, set: '9' },
      ],
      partial: null,
      relevancy: null,
      extra: [],
    });
  });

  it('decodes PARTIAL (range set) and PARTIAL (range NIL)', () => {
    expect(data('* ESEARCH (TAG "A1") UID PARTIAL (-1:-100 200:250,252:300)')).toMatchObject({
      kind: 'esearch',
      partial: { range: '-1:-100', set: '200:250,252:300' },
    });
    expect(data('* ESEARCH (TAG "A2") UID PARTIAL (23500:24000 NIL)')).toMatchObject({
      partial: { range: '23500:24000', set: null },
    });
  });

  it('keeps scalar return data, MULTISEARCH correlators and unknown return data', () => {
    expect(
      data(
        '* ESEARCH (TAG "m1" MAILBOX "folder1" UIDVALIDITY 1) UID MIN 2 MAX 47 ALL 2,10:47 MODSEQ 917162500 X-NEW (1 2)',
      ),
    ).toMatchObject({
      tag: 'm1',
      mailbox: 'folder1',
      uidValidity: 1,
      items: { MIN: 2, MAX: 47, ALL: '2,10:47', MODSEQ: 917162500 },
      extra: [
        {
          name: 'X-NEW',
          value: {
            type: 'list',
            items: [
              { type: 'number', value: 1 },
              { type: 'number', value: 2 },
            ],
          },
        },
      ],
    });
    expect(data('* ESEARCH')).toMatchObject({ kind: 'esearch', tag: null, items: {} });
  });
});

describe('a [ inside an atom is a section only after BODY, BODY.PEEK and BINARY*', () => {
  it('keeps a mailbox name with brackets whole in SELECT, LIST and a LIST response', () => {
    expect(command('a1 SELECT rp[x]').args).toEqual([{ type: 'atom', value: 'rp[x]' }]);
    expect(command('a2 LIST "" rp[*').args).toEqual([
      { type: 'quoted', value: '' },
      { type: 'atom', value: 'rp[*' },
    ]);
    expect(command('a3 SELECT [Gmail]/Sent').args).toEqual([
      { type: 'atom', value: '[Gmail]/Sent' },
    ]);
    expect(data('* LIST (\\HasNoChildren) "/" rp[x]')).toMatchObject({
      kind: 'list',
      mailbox: { name: 'rp[x]' },
    });
  });

  it('still reads sections after the five section-taking names, in any case', () => {
    const args = command('a4 FETCH 1 (body[] Body.Peek[1] BINARY.PEEK[2] BINARY.SIZE[3] X[4])')
      .args[1];
    expect(args).toMatchObject({
      type: 'list',
      items: [
        { type: 'section', name: 'BODY' },
        { type: 'section', name: 'BODY.PEEK' },
        { type: 'section', name: 'BINARY.PEEK' },
        { type: 'section', name: 'BINARY.SIZE' },
        { type: 'atom', value: 'X[4]' },
      ],
    });
  });
});

describe('the keyword NIL in a flag list is a flag', () => {
  it('decodes FLAGS and FETCH FLAGS with NIL as the flag "NIL"', () => {
    expect(data('* FLAGS (\\Seen NIL)')).toEqual({ kind: 'flags', flags: ['\\Seen', 'NIL'] });
    expect(data('* 1 FETCH (FLAGS (\\Recent NIL))')).toMatchObject({
      attributes: [{ kind: 'flags', flags: ['\\Recent', 'NIL'] }],
    });
  });
});

describe('extension response codes are typed', () => {
  it('decodes MODIFIED, MAILBOXID, NOUPDATE and METADATA codes', () => {
    const [, a, b, c, d, e] = decodeAllWays(
      's2c',
      '* OK hi\r\na1 OK [MODIFIED 7,9] Conditional STORE failed\r\n' +
        'a2 OK [MAILBOXID (F2212ea87-6097)] Completed\r\na3 OK [NOUPDATE "B02"] Too many\r\n' +
        'a4 OK [METADATA LONGENTRIES 2199] done\r\na5 NO [METADATA TOOMANY] no\r\n',
    );
    expect(as(a, 'tagged').code).toMatchObject({ kind: 'modified', set: '7,9' });
    expect(as(b, 'tagged').code).toMatchObject({ kind: 'mailboxid', id: 'F2212ea87-6097' });
    expect(as(c, 'tagged').code).toMatchObject({ kind: 'noupdate', tag: 'B02' });
    expect(as(d, 'tagged').code).toMatchObject({
      kind: 'metadata',
      detail: 'LONGENTRIES',
      value: 2199,
    });
    expect(as(e, 'tagged').code).toMatchObject({
      kind: 'metadata',
      detail: 'TOOMANY',
      value: null,
    });
  });
});
