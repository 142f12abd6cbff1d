import { describe, expect, it } from 'vitest';
import {
  FILTER_FIELDS,
  describeFilterError,
  parseDuration,
  parseFilter,
  parseUidSet,
} from '../../shared/filter.ts';
import type { FilterError, FilterNode } from '../../shared/filter.ts';

function root(text: string): FilterNode | null {
  const r = parseFilter(text);
  if (!r.ok) throw new Error(`${text}: ${r.error.message}`);
  return r.filter.root;
}

function error(text: string): FilterError {
  const r = parseFilter(text);
  if (r.ok) throw new Error(`${text} parsed`);
  return r.error;
}

/** The text an error's span covers. */
const spanOf = (text: string): string => {
  const e = error(text);
  return text.slice(e.start, e.end);
};

describe('the display filter language', () => {
  it('reads the example from the issue as five ANDed terms and one text term', () => {
    expect(
      root('cmd:FETCH status:NO latency>100ms mailbox:INBOX uid:4711 text:"Subject: invoice"'),
    ).toEqual({
      type: 'and',
      items: [
        { type: 'term', term: { field: 'cmd', names: [{ name: 'FETCH', uid: false }] } },
        { type: 'term', term: { field: 'status', values: ['NO'] } },
        { type: 'term', term: { field: 'latency', op: '>', ms: 100 } },
        { type: 'term', term: { field: 'mailbox', name: 'inbox' } },
        { type: 'term', term: { field: 'uid', ranges: [[4711, 4711]] } },
        { type: 'term', term: { field: 'text', text: 'subject: invoice' } },
      ],
    });
  });

  it('treats whitespace alone as the empty filter, which has no root', () => {
    expect(root('')).toBeNull();
    expect(root('  \t ')).toBeNull();
  });

  it('makes bare words and quoted strings text terms, lower-cased', () => {
    expect(root('Invoice')).toEqual({ type: 'term', term: { field: 'text', text: 'invoice' } });
    expect(root('"Subject: Invoice (2)"')).toEqual({
      type: 'term',
      term: { field: 'text', text: 'subject: invoice (2)' },
    });
  });

  it('unescapes \\" and \\\\ in quoted strings', () => {
    expect(root('text:"say \\"hi\\" \\\\ bye"')).toEqual({
      type: 'term',
      term: { field: 'text', text: 'say "hi" \\ bye' },
    });
  });

  it('binds OR looser than AND, and accepts | and explicit AND / &&', () => {
    const expected = {
      type: 'or',
      items: [
        {
          type: 'and',
          items: [
            { type: 'term', term: { field: 'cmd', names: [{ name: 'FETCH', uid: false }] } },
            { type: 'term', term: { field: 'status', values: ['NO'] } },
          ],
        },
        { type: 'term', term: { field: 'status', values: ['BAD'] } },
      ],
    };
    expect(root('cmd:FETCH status:NO OR status:BAD')).toEqual(expected);
    expect(root('cmd:fetch AND status:no | status:bad')).toEqual(expected);
    expect(root('cmd:fetch && status:no || status:bad')).toEqual(expected);
  });

  it('negates with -, ! and NOT, and != is a negated term', () => {
    const not = { type: 'not', item: { type: 'term', term: { field: 'status', values: ['OK'] } } };
    expect(root('-status:OK')).toEqual(not);
    expect(root('!status:OK')).toEqual(not);
    expect(root('NOT status:OK')).toEqual(not);
    expect(root('status!=ok')).toEqual(not);
  });

  it('groups with parentheses', () => {
    expect(root('-(cmd:NOOP OR cmd:IDLE) latency>=1s')).toEqual({
      type: 'and',
      items: [
        {
          type: 'not',
          item: {
            type: 'or',
            items: [
              { type: 'term', term: { field: 'cmd', names: [{ name: 'NOOP', uid: false }] } },
              { type: 'term', term: { field: 'cmd', names: [{ name: 'IDLE', uid: false }] } },
            ],
          },
        },
        { type: 'term', term: { field: 'latency', op: '>=', ms: 1000 } },
      ],
    });
  });

  it('reads comma lists of commands and statuses, and UID forms of commands', () => {
    expect(root('cmd:"UID MOVE",copy status:no,BAD')).toEqual({
      type: 'and',
      items: [
        {
          type: 'term',
          term: {
            field: 'cmd',
            names: [
              { name: 'MOVE', uid: true },
              { name: 'COPY', uid: false },
            ],
          },
        },
        { type: 'term', term: { field: 'status', values: ['NO', 'BAD'] } },
      ],
    });
    expect(root('status:Aborted')).toEqual({
      type: 'term',
      term: { field: 'status', values: ['aborted'] },
    });
  });

  it('takes field names in any case and the aliases command and mbox', () => {
    expect(root('CMD:fetch')).toEqual(root('command:FETCH'));
    expect(root('MBOX:Sent')).toEqual(root('mailbox:sent'));
  });

  it('reads latencies in ms (the default), s and us', () => {
    expect(parseDuration('100ms')).toBe(100);
    expect(parseDuration('250')).toBe(250);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('1.5S')).toBe(1500);
    expect(parseDuration('500us')).toBe(0.5);
    expect(parseDuration('.5s')).toBe(500);
    for (const bad of ['', 'ms', '1..5ms', '-1ms', '1 ms', '1h', '1e3']) {
      expect(parseDuration(bad)).toBeNull();
    }
    expect(root('latency<=2')).toEqual({
      type: 'term',
      term: { field: 'latency', op: '<=', ms: 2 },
    });
  });

  it('reads UID sets with ranges and lists, and refuses * and zero', () => {
    expect(parseUidSet('4711')).toEqual([[4711, 4711]]);
    expect(parseUidSet('9:3,12')).toEqual([
      [3, 9],
      [12, 12],
    ]);
    expect(parseUidSet('4294967295')).toEqual([[4294967295, 4294967295]]);
    for (const bad of ['', '1:*', '*', '0', '4294967296', '1,', 'a', '1:2:3']) {
      expect(parseUidSet(bad)).toBeNull();
    }
  });

  it('names an unknown field, lists the fields, and points at the field name', () => {
    const e = error('cmd:FETCH sender:bob');
    expect(e.code).toBe('ERR_FILTER_UNKNOWN_FIELD');
    expect(e.message).toContain('unknown field "sender"');
    expect(e.message).toContain(FILTER_FIELDS.join(', '));
    expect(e.message).toContain('"sender:bob"');
    expect(spanOf('cmd:FETCH sender:bob')).toBe('sender');
  });

  it('points at a bad number or duration', () => {
    expect(error('latency>fast').code).toBe('ERR_FILTER_BAD_VALUE');
    expect(spanOf('cmd:FETCH latency>fast')).toBe('fast');
    expect(error('latency>10h').message).toContain('100ms, 1.5s');
    expect(spanOf('uid:47x1 cmd:FETCH')).toBe('47x1');
    expect(error('uid:1:*').message).toContain('not a UID');
  });

  it('refuses a value missing after the operator', () => {
    const e = error('cmd: status:NO');
    expect(e.message).toBe('cmd: needs a value after ":"');
    expect(e.start).toBe(4);
  });

  it('refuses statuses, command names and codes that cannot be', () => {
    expect(error('status:FAILED').message).toContain('none of OK, NO, BAD, aborted');
    expect(spanOf('status:ok,FAILED')).toBe('ok,FAILED');
    expect(error('cmd:"UID 12"').code).toBe('ERR_FILTER_BAD_VALUE');
    expect(error('code:"TRY CREATE"').code).toBe('ERR_FILTER_BAD_VALUE');
  });

  it('refuses comparisons other than on latency, and ":" on latency', () => {
    const e = error('uid>4711');
    expect(e.code).toBe('ERR_FILTER_OPERATOR');
    expect(spanOf('uid>4711')).toBe('>');
    expect(error('latency:100ms').message).toContain('latency>100ms');
    expect(spanOf('latency:100ms')).toBe(':');
  });

  it('points at an unterminated quote from the quote to the end', () => {
    const text = 'cmd:FETCH text:"Subject: inv';
    const e = error(text);
    expect(e.code).toBe('ERR_FILTER_UNTERMINATED_QUOTE');
    expect(text.slice(e.start, e.end)).toBe('"Subject: inv');
    expect(error('"abc').start).toBe(0);
  });

  it('points at unbalanced parentheses and dangling operators', () => {
    expect(spanOf('(cmd:FETCH status:NO')).toBe('(');
    expect(error('(cmd:FETCH status:NO').message).toContain('never closed');
    expect(spanOf('cmd:FETCH )')).toBe(')');
    expect(spanOf('() cmd:FETCH')).toBe('()');
    expect(error('cmd:FETCH OR').message).toContain('"OR" needs a term after it');
    expect(spanOf('cmd:FETCH OR')).toBe('OR');
    expect(error('OR cmd:FETCH').message).toContain('needs a term on each side');
    expect(error('-').code).toBe('ERR_FILTER_SYNTAX');
    expect(error('cmd:FETCH NOT').code).toBe('ERR_FILTER_SYNTAX');
  });

  it('never throws, whatever the text', () => {
    const alphabet = [
      'cmd',
      ':',
      '"',
      '(',
      ')',
      '-',
      '!',
      ' ',
      'OR',
      'x',
      '>',
      '1',
      'ms',
      '\\',
      '=',
    ];
    let seed = 7;
    for (let n = 0; n < 2000; n++) {
      let text = '';
      const len = n % 12;
      for (let i = 0; i < len; i++) {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        text += alphabet[seed % alphabet.length];
      }
      const r = parseFilter(text);
      if (!r.ok) {
        expect(r.error.start).toBeGreaterThanOrEqual(0);
        expect(r.error.end).toBeGreaterThan(r.error.start);
        expect(r.error.start).toBeLessThanOrEqual(text.length);
      }
    }
  });

  it('describes an error for a terminal with a caret under the span', () => {
    const text = 'cmd:FETCH latency>fast';
    const r = parseFilter(text);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(describeFilterError(text, r.error).split('\n')).toEqual([
      'latency: "fast" is not a duration; use a number with ms or s (100ms, 1.5s)',
      '  cmd:FETCH latency>fast',
      '                    ^^^^',
    ]);
  });
});
