import { describe, expect, it } from 'vitest';
import type { ImapscopeEvent } from '../../shared/events.ts';
import { parseFilter } from '../../shared/filter.ts';
import { FILTER_MAX_IN_FLIGHT, FilterScanner, matchingSeqs } from '../../shared/filter-match.ts';
import { GREETING, run, type Step } from '../session/dialog.ts';

const lit = (text: string): string => `{${Buffer.byteLength(text)}}\r\n${text}`;

/**
 * One session through the real pipeline (chunk i arrives at 1000 + 10·i ms, so a reply in the
 * chunk after its command has a latency of 10 ms, and two chunks later 20 ms).
 */
const session = run([
  GREETING,
  'C:a1 LOGIN alice secret\r\n',
  'S:a1 OK [CAPABILITY IMAP4rev1 UIDPLUS MOVE] Logged in\r\n',
  'C:a2 SELECT INBOX\r\n',
  'S:* 3 EXISTS\r\na2 OK [READ-WRITE] Selected\r\n',
  'C:a3 UID FETCH 4700:4800 (UID FLAGS)\r\n',
  'S:* 1 FETCH (UID 4711 FLAGS (\\Seen))\r\na3 OK Fetch completed\r\n',
  'C:a4 FETCH 2 (BODY.PEEK[HEADER])\r\n',
  ('S:* 2 FETCH (BODY[HEADER] ' +
    lit('Subject: =?UTF-8?Q?Rechnung_f=C3=BCr_Dezember?=\r\nFrom: bob@example.org\r\n\r\n') +
    ')\r\n') as Step,
  'S:a4 OK Fetch completed\r\n',
  'C:a5 UID MOVE 4711 Archive\r\n',
  'S:a5 NO [TRYCREATE] No such mailbox\r\n',
  'C:a6 CREATE Archive\r\n',
  'S:a6 OK Created\r\n',
  'C:a7 UID MOVE 4711 Archive\r\n',
  'S:* OK [COPYUID 9 4711 12] Moved\r\n* 1 EXPUNGE\r\na7 OK Move completed\r\n',
  'C:a8 SELECT Archive\r\n',
  'S:* 1 EXISTS\r\na8 OK [READ-WRITE] Selected\r\n',
  'C:a9 UID SEARCH UID 12\r\n',
  'S:* SEARCH 12\r\na9 OK Search completed\r\n',
  'C:a10 NOOP\r\n',
  'S:* 2 EXISTS\r\n',
  'S:a10 BAD try again\r\n',
  'C:a11 IDLE\r\n',
]).events;

const seqOf = (tag: string): number => {
  const e = session.find(
    (x) => x.type === 'message' && x.message.type === 'command' && x.message.tag === tag,
  );
  if (!e) throw new Error(`no command ${tag}`);
  return e.seq;
};

/** The tags of the exchanges the filter matches (inline rows as `#seq`). */
function tags(filter: string, events: ImapscopeEvent[] = session): string[] {
  const parsed = parseFilter(filter);
  if (!parsed.ok) throw new Error(parsed.error.message);
  return matchingSeqs(events, parsed.filter).map((seq) => {
    const e = events[seq - 1]!;
    return e.type === 'message' && e.message.type === 'command' ? e.message.tag : `#${e.type}`;
  });
}

describe('matching a display filter against a session', () => {
  it('finds commands by name, with UID forms matched by the plain name too', () => {
    expect(tags('cmd:MOVE')).toEqual(['a5', 'a7']);
    expect(tags('cmd:"UID MOVE"')).toEqual(['a5', 'a7']);
    expect(tags('cmd:FETCH')).toEqual(['a3', 'a4']);
    expect(tags('cmd:"UID FETCH"')).toEqual(['a3']);
    expect(tags('cmd:select,create')).toEqual(['a2', 'a6', 'a8']);
  });

  it('finds exchanges by status; a command still in flight has none', () => {
    expect(tags('status:NO')).toEqual(['a5']);
    expect(tags('status:NO,BAD')).toEqual(['a5', 'a10']);
    expect(tags('cmd:IDLE')).toEqual(['a11']);
    expect(tags('cmd:IDLE status:OK')).toEqual([]);
  });

  it('compares latency in ms and s', () => {
    expect(tags('cmd:FETCH latency>=20ms')).toEqual(['a4']);
    expect(tags('cmd:FETCH latency<0.015s')).toEqual(['a3']);
    expect(tags('latency>1s')).toEqual([]);
  });

  it('finds the mailbox in effect (following SELECT) and mailboxes a command names', () => {
    // The lint about a10's BAD is a row of its own, raised while Archive was selected.
    expect(tags('mailbox:archive')).toEqual(['a5', 'a6', 'a7', 'a8', 'a9', 'a10', '#lint', 'a11']);
    expect(tags('mailbox:INBOX cmd:FETCH')).toEqual(['a3', 'a4']);
    // a2 names INBOX; a8 was sent while INBOX was still selected.
    expect(tags('mailbox:INBOX cmd:SELECT')).toEqual(['a2', 'a8']);
  });

  it('finds a UID in a UID command set, in FETCH responses, COPYUID and UID SEARCH results', () => {
    expect(tags('uid:4711')).toEqual(['a3', 'a5', 'a7']);
    expect(tags('uid:12')).toEqual(['a7', 'a9']);
    expect(tags('uid:4750:4760')).toEqual(['a3']);
    expect(tags('uid:1,2')).toEqual([]);
  });

  it('searches text case-insensitively in lines and decoded literal headers', () => {
    expect(tags('text:"subject: rechnung für"')).toEqual(['a4']);
    expect(tags('BOB@EXAMPLE.ORG')).toEqual(['a4']);
    expect(tags('"no such mailbox"')).toEqual(['a5']);
  });

  it('matches response codes, tags and lints', () => {
    expect(tags('code:trycreate')).toEqual(['a5']);
    expect(tags('code:COPYUID,READ-WRITE')).toEqual(['a2', 'a7', 'a8']);
    expect(tags('tag:A7')).toEqual(['a7']);
    expect(tags('lint:cleartext')).toEqual(['#lint']);
  });

  it('combines terms with AND, OR, negation and parentheses', () => {
    expect(tags('cmd:MOVE -status:NO')).toEqual(['a7']);
    expect(tags('cmd:MOVE status!=NO')).toEqual(['a7']);
    expect(tags('(cmd:CREATE OR status:BAD) mailbox:archive')).toEqual(['a6', 'a10']);
    expect(tags('cmd:NOOP | cmd:CREATE')).toEqual(['a6', 'a10']);
  });

  it('matches inline rows: the greeting and a lint by text, never by cmd or status', () => {
    expect(tags('text:"imap4rev1 sasl-ir"')).toEqual(['#message']);
    expect(tags('-cmd:LOGIN -status:OK').filter((t) => t.startsWith('#'))).toEqual(
      tags('-cmd:LOGIN').filter((t) => t.startsWith('#')),
    );
  });

  it('matches every row with the empty filter', () => {
    const all = tags('');
    expect(all.filter((t) => !t.startsWith('#'))).toEqual([
      'a1',
      'a2',
      'a3',
      'a4',
      'a5',
      'a6',
      'a7',
      'a8',
      'a9',
      'a10',
      'a11',
    ]);
  });

  it('gives the command seq, which is the row the viewer shows', () => {
    const parsed = parseFilter('status:NO');
    if (!parsed.ok) throw new Error('parse');
    expect(matchingSeqs(session, parsed.filter)).toEqual([seqOf('a5')]);
  });

  it('gives up the oldest command past FILTER_MAX_IN_FLIGHT commands in flight', () => {
    const events = run(
      [
        GREETING,
        ...Array.from({ length: FILTER_MAX_IN_FLIGHT + 5 }, (_, i) => `C:t${i} NOOP\r\n` as const),
      ],
      {},
      false,
    ).events;
    const scanner = new FilterScanner();
    for (const e of events) scanner.push(e);
    const left = scanner.finish();
    expect(left).toHaveLength(FILTER_MAX_IN_FLIGHT);
    expect(left[0]!.command?.tag).toBe('t5');
  });
});
