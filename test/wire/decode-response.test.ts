import { describe, expect, it } from 'vitest';
import type { BodyStructure, UntaggedData } from '../../shared/messages.ts';
import { MAX_NESTING_DEPTH } from '../../proxy/limits.ts';
import { as, decodeAllWays } from './split.ts';

/** Decodes lines after a greeting and returns the untagged data of the first. */
function data(line: string): UntaggedData {
  const [, m] = decodeAllWays('s2c', `* OK hi\r\n${line}\r\n`);
  return as(m, 'untagged').data;
}

function fetchOf(line: string) {
  const d = data(line);
  if (d.kind !== 'fetch') throw new Error(`not a fetch: ${d.kind}`);
  return d;
}

describe('the response decoder', () => {
  it('decodes the greeting kinds and response codes', () => {
    const [g] = decodeAllWays('s2c', '* PREAUTH [CAPABILITY IMAP4rev2] logged in as Smith\r\n');
    expect(as(g, 'greeting')).toMatchObject({
      status: 'PREAUTH',
      code: { kind: 'capability', capabilities: ['IMAP4rev2'] },
      text: 'logged in as Smith',
    });
    const [bye] = decodeAllWays('s2c', '* BYE [UNAVAILABLE] go away\r\n');
    expect(as(bye, 'greeting')).toMatchObject({
      status: 'BYE',
      code: { kind: 'plain', name: 'UNAVAILABLE' },
    });
  });

  it('decodes tagged completions with typed codes and keeps unknown codes raw', () => {
    const [, a, b, c, d] = decodeAllWays(
      's2c',
      '* OK hi\r\nA1 OK [APPENDUID 38505 3955:3957] done\r\nA2 OK [COPYUID 1 2:4 7:9] ok\r\n' +
        'A3 NO [X-WEIRD some text] nope\r\nA4 BAD\r\n',
    );
    expect(as(a, 'tagged').code).toMatchObject({
      kind: 'appenduid',
      uidValidity: 38505,
      uids: '3955:3957',
    });
    expect(as(b, 'tagged').code).toMatchObject({
      kind: 'copyuid',
      sourceUids: '2:4',
      destUids: '7:9',
    });
    expect(as(c, 'tagged')).toMatchObject({
      status: 'NO',
      code: { kind: 'other', name: 'X-WEIRD', text: 'some text' },
      text: 'nope',
    });
    expect(as(d, 'tagged')).toMatchObject({ status: 'BAD', code: null, text: '' });
  });

  it('decodes an ENVELOPE with UTF-8 and 8-bit quoted strings', () => {
    const f = fetchOf(
      '* 1 FETCH (ENVELOPE ("Mon, 1 Jan 2024 00:00:00 +0000" "Grüße aus Köln — 日本" ' +
        '(("Jörg" NIL "joerg" "example.de")) NIL NIL ((NIL NIL "group" NIL)(NIL NIL "a" "b")(NIL NIL NIL NIL)) ' +
        'NIL NIL NIL "<id@x>"))',
    );
    expect(f.attributes[0]).toMatchObject({
      kind: 'envelope',
      envelope: {
        subject: 'Grüße aus Köln — 日本',
        from: [{ name: 'Jörg', mailbox: 'joerg', host: 'example.de' }],
        sender: null,
        to: [{ mailbox: 'group', host: null }, { mailbox: 'a' }, { mailbox: null, host: null }],
        messageId: '<id@x>',
      },
    });
    const latin1 = Buffer.from(
      '* 2 FETCH (ENVELOPE (NIL "caf\xe9" NIL NIL NIL NIL NIL NIL NIL NIL))\r\n',
      'latin1',
    );
    const [, m] = decodeAllWays('s2c', Buffer.concat([Buffer.from('* OK hi\r\n'), latin1]));
    expect(as(m, 'untagged').data).toMatchObject({
      attributes: [{ envelope: { subject: 'caf\ufffd' } }],
    });
  });

  it('decodes a multipart BODYSTRUCTURE with extension data and a nested message', () => {
    const f = fetchOf(
      '* 3 FETCH (UID 9 BODYSTRUCTURE ((("TEXT" "PLAIN" ("CHARSET" "utf-8") NIL NIL "7BIT" 10 1 NIL NIL NIL NIL)' +
        '("TEXT" "HTML" ("CHARSET" "utf-8") NIL NIL "QUOTED-PRINTABLE" 20 2 NIL NIL NIL NIL) "ALTERNATIVE" ("BOUNDARY" "b1") NIL NIL NIL)' +
        '("MESSAGE" "RFC822" NIL NIL NIL "7BIT" 300 (NIL "inner" NIL NIL NIL NIL NIL NIL NIL NIL) ' +
        '("TEXT" "PLAIN" NIL NIL NIL "7BIT" 5 1) 12 NIL ("ATTACHMENT" ("FILENAME" "m.eml")) ("en" "de") "loc")' +
        ' "MIXED" ("BOUNDARY" "b0") ("INLINE" NIL) "en" NIL X-EXT (1 2)))',
    );
    const s = f.attributes[1];
    expect(s).toMatchObject({ kind: 'bodystructure', extensible: true });
    if (s?.kind !== 'bodystructure' || s.structure.kind !== 'multipart') throw new Error();
    const root = s.structure;
    expect(root).toMatchObject({
      subtype: 'MIXED',
      params: { BOUNDARY: 'b0' },
      disposition: { type: 'INLINE', params: null },
      language: ['en'],
      location: null,
    });
    expect(root.extra).toEqual([
      { type: 'atom', value: 'X-EXT' },
      {
        type: 'list',
        items: [
          { type: 'number', value: 1 },
          { type: 'number', value: 2 },
        ],
      },
    ]);
    expect(root.parts[0]).toMatchObject({
      kind: 'multipart',
      subtype: 'ALTERNATIVE',
      parts: [
        { kind: 'single', type: 'TEXT', subtype: 'PLAIN', size: 10, lines: 1 },
        { kind: 'single', subtype: 'HTML', encoding: 'QUOTED-PRINTABLE' },
      ],
    });
    expect(root.parts[1]).toMatchObject({
      kind: 'single',
      type: 'MESSAGE',
      envelope: { subject: 'inner' },
      body: { kind: 'single', type: 'TEXT', size: 5 },
      lines: 12,
      md5: null,
      disposition: { type: 'ATTACHMENT', params: { FILENAME: 'm.eml' } },
      language: ['en', 'de'],
      location: 'loc',
    });
  });

  it('decodes a BODYSTRUCTURE nested 40 multiparts deep', () => {
    let body = '("TEXT" "PLAIN" NIL NIL NIL "7BIT" 1 1)';
    for (let i = 0; i < 40; i++) body = `(${body} "MIXED")`;
    const s = fetchOf(`* 1 FETCH (BODYSTRUCTURE ${body})`).attributes[0];
    if (s?.kind !== 'bodystructure') throw new Error();
    let depth = 0;
    let node: BodyStructure | undefined = s.structure;
    while (node?.kind === 'multipart') {
      depth++;
      node = node.parts[0];
    }
    expect(depth).toBe(40);
    expect(node).toMatchObject({ type: 'TEXT' });
  });

  it('follows lists nested exactly MAX_NESTING_DEPTH deep and refuses one more', () => {
    // the FETCH item list itself is the first level
    const nest = (n: number): string => `* 1 FETCH (X-DEEP ${'('.repeat(n)}${')'.repeat(n)})`;
    expect(fetchOf(nest(MAX_NESTING_DEPTH - 1)).attributes[0]).toMatchObject({ kind: 'unknown' });
    const [, m, next] = decodeAllWays(
      's2c',
      `* OK hi\r\n${nest(MAX_NESTING_DEPTH)}\r\n* 1 EXISTS\r\n`,
    );
    expect(as(m, 'malformed').code).toBe('ERR_WIRE_TOO_DEEP');
    expect(as(next, 'untagged').data.kind).toBe('exists');
  });

  it('decodes body sections with origin, BINARY, BINARY.SIZE, MODSEQ and keeps unknown items', () => {
    const f = fetchOf(
      '* 5 FETCH (BODY[1.2.HEADER.FIELDS (FROM "Subject")]<100> "x" BINARY[2]<0> ~{3}\r\na\0b ' +
        'BINARY.SIZE[2] 3 MODSEQ (18446744073709551615) RFC822.HEADER NIL X-GM-LABELS (\\Inbox "a b"))',
    );
    expect(f.attributes).toMatchObject([
      {
        kind: 'body-section',
        name: 'BODY',
        section: { part: [1, 2], specifier: 'HEADER.FIELDS', fields: ['FROM', 'Subject'] },
        origin: 100,
        value: { type: 'quoted', value: 'x' },
      },
      {
        kind: 'body-section',
        name: 'BINARY',
        section: { part: [2] },
        origin: 0,
        value: { type: 'literal', literal: { literal8: true, size: 3 } },
      },
      { kind: 'binary-size', section: { part: [2] }, value: 3 },
      { kind: 'modseq', value: '18446744073709551615' },
      { kind: 'body-section', name: 'RFC822.HEADER', value: { type: 'nil' } },
      {
        kind: 'unknown',
        name: 'X-GM-LABELS',
        value: {
          type: 'list',
          items: [
            { type: 'atom', value: '\\Inbox' },
            { type: 'quoted', value: 'a b' },
          ],
        },
      },
    ]);
  });

  it('decodes LIST with a modified UTF-7 name kept beside its raw form', () => {
    expect(data('* LIST (\\HasNoChildren \\Drafts) "/" "Entw&APw-rfe"')).toEqual({
      kind: 'list',
      attributes: ['\\HasNoChildren', '\\Drafts'],
      delimiter: '/',
      mailbox: { name: 'Entwürfe', raw: 'Entw&APw-rfe' },
      extended: [],
    });
  });

  it('decodes a mailbox name sent as a literal', () => {
    expect(data('* LIST () "/" {5}\r\nIN"BX')).toMatchObject({ mailbox: { name: 'IN"BX' } });
  });

  it('decodes STATUS, SEARCH, ESEARCH, ENABLED, ID, NAMESPACE and VANISHED', () => {
    expect(data('* STATUS "a b" (MESSAGES 2 HIGHESTMODSEQ 7)')).toEqual({
      kind: 'mailbox-status',
      mailbox: { name: 'a b', raw: 'a b' },
      items: { MESSAGES: 2, HIGHESTMODSEQ: 7 },
    });
    expect(data('* SEARCH 1 5 9 (MODSEQ 12)')).toEqual({
      kind: 'search',
      numbers: [1, 5, 9],
      modseq: '12',
    });
    expect(data('* ESEARCH (TAG "A1") UID MIN 2 ALL 2:5,9')).toMatchObject({
      kind: 'esearch',
      tag: 'A1',
      uid: true,
      items: { MIN: 2, ALL: '2:5,9' },
    });
    expect(data('* ENABLED CONDSTORE QRESYNC')).toEqual({
      kind: 'enabled',
      capabilities: ['CONDSTORE', 'QRESYNC'],
    });
    expect(data('* ID ("name" "Dovecot" "x" NIL)')).toEqual({
      kind: 'id',
      params: { name: 'Dovecot', x: null },
    });
    expect(data('* NAMESPACE (("" "/")) NIL (("#shared/" "/" "X" ("a")))')).toEqual({
      kind: 'namespace',
      personal: [{ prefix: '', delimiter: '/', extensions: [] }],
      other: null,
      shared: [
        {
          prefix: '#shared/',
          delimiter: '/',
          extensions: [
            { type: 'quoted', value: 'X' },
            { type: 'list', items: [{ type: 'quoted', value: 'a' }] },
          ],
        },
      ],
    });
    expect(data('* VANISHED (EARLIER) 41,43:116')).toEqual({
      kind: 'vanished',
      earlier: true,
      uids: '41,43:116',
    });
    expect(data('* VANISHED 405')).toEqual({ kind: 'vanished', earlier: false, uids: '405' });
  });

  it('keeps unknown untagged responses as tokens', () => {
    expect(data('* XPIG-LATIN ow-nay (1 "a")')).toEqual({
      kind: 'unknown',
      name: 'XPIG-LATIN',
      number: null,
      args: [
        { type: 'atom', value: 'ow-nay' },
        {
          type: 'list',
          items: [
            { type: 'number', value: 1 },
            { type: 'quoted', value: 'a' },
          ],
        },
      ],
    });
  });

  it('turns what does not parse into Malformed and decodes the next message', () => {
    const [, a, b, c, d, e] = decodeAllWays(
      's2c',
      '* OK hi\r\n* 1 FETCH (FLAGS (\\Seen)\r\nA1 MAYBE so\r\n* LIST\r\n\r\n* 2 EXISTS\r\n',
    );
    expect([a, b, c, d].map((m) => m?.type === 'malformed' && m.code)).toEqual([
      'ERR_WIRE_SYNTAX',
      'ERR_WIRE_SYNTAX',
      'ERR_WIRE_SYNTAX',
      'ERR_WIRE_SYNTAX',
    ]);
    expect(as(a, 'malformed').raw).toBe('* 1 FETCH (FLAGS (\\Seen)');
    expect(as(e, 'untagged').data).toEqual({ kind: 'exists', value: 2 });
  });
});
