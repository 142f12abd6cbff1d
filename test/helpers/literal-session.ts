/** Conversations for tests of what is made from events (JSON, search text). */

/** A session whose messages carry literals in every place the decoder keeps them, and some without. */
export const LITERALS_EVERYWHERE: ['c2s' | 's2c', string][] = [
  ['s2c', '* OK [CAPABILITY IMAP4rev1 LITERAL+ BINARY] ready\r\n'],
  ['c2s', 'a1 LOGIN {4}\r\n'],
  ['s2c', '+ go\r\n'],
  ['c2s', 'user {6}\r\n'],
  ['s2c', '+ go\r\n'],
  ['c2s', 'secret\r\n'],
  ['s2c', 'a1 OK [CAPABILITY IMAP4rev1 LITERAL+] done\r\n'],
  ['c2s', 'a2 SELECT INBOX\r\n'],
  ['s2c', '* 2 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\na2 OK [READ-WRITE] done\r\n'],
  ['c2s', 'a3 APPEND INBOX (\\Seen) {21+}\r\nSubject: hi\r\n\r\nbody\r\n\r\n'],
  ['s2c', 'a3 OK [APPENDUID 7 3] done\r\n'],
  ['c2s', 'a4 FETCH 1:2 (FLAGS ENVELOPE BODY[HEADER] BODYSTRUCTURE)\r\n'],
  [
    's2c',
    '* 1 FETCH (FLAGS (\\Seen) ENVELOPE ("Wed, 1 Jan 2025 00:00:00 +0000" {5}\r\nhello' +
      ' (("A" NIL "a" "example.test")) NIL NIL NIL NIL NIL NIL "<id@x>")' +
      ' BODY[HEADER] {14}\r\nSubject: x\r\n\r\n' +
      ' BODYSTRUCTURE ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 4 1))\r\n' +
      '* 2 FETCH (FLAGS () ENVELOPE (NIL "no literal" NIL NIL NIL NIL NIL NIL NIL NIL))\r\n' +
      'a4 OK done\r\n',
  ],
  ['c2s', 'a5 SEARCH CHARSET UTF-8 SUBJECT {3}\r\n'],
  ['s2c', 'a5 NO [BADCHARSET (US-ASCII)] refused\r\n'],
  ['c2s', 'a7 LIST "" *\r\n'],
  ['s2c', '* LIST () "/" "&AOQ-pfel"\r\n* LIST () "/" {5}\r\nDraft\r\na7 OK done\r\n'],
  ['c2s', 'a6 LOGOUT\r\n'],
  ['s2c', '* BYE bye\r\na6 OK done\r\n'],
];
