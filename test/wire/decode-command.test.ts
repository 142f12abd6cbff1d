import { describe, expect, it } from 'vitest';
import { as, decodeAllWays } from './split.ts';

const command = (line: string) => as(decodeAllWays('c2s', `${line}\r\n`)[0], 'command');

describe('the command decoder', () => {
  it('upper-cases the name and sets the uid flag for UID commands', () => {
    expect(command('a1 uid fetch 1:* flags')).toMatchObject({
      tag: 'a1',
      name: 'FETCH',
      uid: true,
      args: [
        { type: 'sequence-set', value: '1:*' },
        { type: 'atom', value: 'flags' },
      ],
    });
  });

  it('builds the argument tree with sections, partials, numbers and quoted strings', () => {
    expect(command('A2 FETCH 7 (UID BODY.PEEK[1.MIME] BINARY[2]<0.1024> BODY[]<5>)').args).toEqual([
      { type: 'sequence-set', value: '7' },
      {
        type: 'list',
        items: [
          { type: 'atom', value: 'UID' },
          {
            type: 'section',
            name: 'BODY.PEEK',
            section: { text: '1.MIME', part: [1], specifier: 'MIME', fields: [] },
            partial: null,
          },
          {
            type: 'section',
            name: 'BINARY',
            section: { text: '2', part: [2], specifier: '', fields: [] },
            partial: { origin: 0, length: 1024 },
          },
          {
            type: 'section',
            name: 'BODY',
            section: { text: '', part: [], specifier: '', fields: [] },
            partial: { origin: 5, length: null },
          },
        ],
      },
    ]);
    expect(command('A3 SEARCH UID 1:5,7 LARGER 1000 SUBJECT "日本 \\"q\\""').args).toEqual([
      { type: 'atom', value: 'UID' },
      { type: 'sequence-set', value: '1:5,7' },
      { type: 'atom', value: 'LARGER' },
      { type: 'number', value: 1000 },
      { type: 'atom', value: 'SUBJECT' },
      { type: 'quoted', value: '日本 "q"' },
    ]);
  });

  it('keeps LIST patterns as atoms, not sequence sets', () => {
    expect(command('A4 LIST "" *').args).toEqual([
      { type: 'quoted', value: '' },
      { type: 'atom', value: '*' },
    ]);
  });

  it('reads STORE flags and NIL', () => {
    expect(command('A5 STORE 2:4 +FLAGS.SILENT (\\Deleted $Junk)').args).toEqual([
      { type: 'sequence-set', value: '2:4' },
      { type: 'atom', value: '+FLAGS.SILENT' },
      {
        type: 'list',
        items: [
          { type: 'atom', value: '\\Deleted' },
          { type: 'atom', value: '$Junk' },
        ],
      },
    ]);
    expect(command('A6 ID NIL').args).toEqual([{ type: 'nil' }]);
  });

  it('reports a missing name, a bad tag and an unterminated quote as Malformed', () => {
    const [a, b, c, d] = decodeAllWays('c2s', 'A1\r\n* NOOP\r\nA3 LOGIN "x\r\nA4 NOOP\r\n');
    expect(as(a, 'malformed').code).toBe('ERR_WIRE_SYNTAX');
    expect(as(b, 'malformed').reason).toMatch(/tag/);
    expect(as(c, 'malformed').code).toBe('ERR_WIRE_SYNTAX');
    expect(as(d, 'command').tag).toBe('A4');
  });
});
