import { describe, expect, it } from 'vitest';
import { Hub } from '../../proxy/hub/hub.ts';
import { eventJson, holdsBytes } from '../../proxy/hub/event-json.ts';
import { fromJson, toJson } from '../../shared/protocol.ts';
import type { ImapscopeEvent } from '../../shared/events.ts';
import { Capture, play } from './helpers.ts';

/** A session whose messages carry literals in every place the decoder keeps them, and some without. */
const SCRIPT: ['c2s' | 's2c', string][] = [
  ['s2c', '* OK [CAPABILITY IMAP4rev1 LITERAL+ BINARY] ready\r\n'],
  ['c2s', 'a1 LOGIN {4}\r\n'],
  ['s2c', '+ go\r\n'],
  ['c2s', 'user {6}\r\n'],
  ['s2c', '+ go\r\n'],
  ['c2s', 'secret\r\n'],
  ['s2c', 'a1 OK [CAPABILITY IMAP4rev1 LITERAL+] done\r\n'],
  ['c2s', 'a2 SELECT INBOX\r\n'],
  ['s2c', '* 2 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\na2 OK [READ-WRITE] done\r\n'],
  ['c2s', 'a3 APPEND INBOX (\\Seen) {23+}\r\nSubject: hi\r\n\r\nbody\r\n\r\n'],
  ['s2c', 'a3 OK [APPENDUID 7 3] done\r\n'],
  ['c2s', 'a4 FETCH 1:2 (FLAGS ENVELOPE BODY[HEADER] BODYSTRUCTURE)\r\n'],
  [
    's2c',
    '* 1 FETCH (FLAGS (\\Seen) ENVELOPE ("Wed, 1 Jan 2025 00:00:00 +0000" {5}\r\nhello' +
      ' (("A" NIL "a" "example.test")) NIL NIL NIL NIL NIL NIL "<id@x>")' +
      ' BODY[HEADER] {13}\r\nSubject: x\r\n\r\n' +
      ' BODYSTRUCTURE ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 4 1))\r\n' +
      '* 2 FETCH (FLAGS () ENVELOPE (NIL "no literal" NIL NIL NIL NIL NIL NIL NIL NIL))\r\n' +
      'a4 OK done\r\n',
  ],
  ['c2s', 'a5 SEARCH CHARSET UTF-8 SUBJECT {3}\r\n'],
  ['s2c', 'a5 NO [BADCHARSET (US-ASCII)] refused\r\n'],
  ['c2s', 'a6 LOGOUT\r\n'],
  ['s2c', '* BYE bye\r\na6 OK done\r\n'],
];

function session(): ImapscopeEvent[] {
  const hub = new Hub();
  const capture = new Capture();
  hub.add(capture);
  play(hub, 's1', SCRIPT);
  return capture.events;
}

describe('eventJson', () => {
  it('writes exactly what toJson writes, for events with and without bytes', () => {
    const events = session();
    expect(events.some((e) => holdsBytes(e))).toBe(true);
    expect(events.some((e) => e.type === 'message' && !holdsBytes(e))).toBe(true);
    for (const e of events) expect(eventJson(e)).toBe(toJson(e));
  });

  it('finds the bytes of every event that holds any, so none is written as a plain object', () => {
    for (const e of session()) {
      const plain = JSON.stringify(e);
      // JSON.stringify writes a Buffer as {"type":"Buffer",…} and a Uint8Array by its indexes.
      const hasBytes = plain.includes('"type":"Buffer"') || /"0":\d/.test(plain);
      expect(holdsBytes(e) || !hasBytes).toBe(true);
    }
  });

  it('writes events read back from their JSON (bytes as Uint8Array) as they were written', () => {
    for (const e of session()) {
      const back = fromJson<ImapscopeEvent>(toJson(e));
      expect(eventJson(back)).toBe(toJson(e));
    }
  });
});
