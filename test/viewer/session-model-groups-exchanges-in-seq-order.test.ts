import { describe, expect, it } from 'vitest';
import { SessionModel } from '../../viewer/src/state/session-model.ts';
import { SessionScript } from './events.ts';

describe('the session model', () => {
  it('groups a command with its untagged answers and completion, exactly once the exchange arrives', () => {
    const s = new SessionScript().open();
    const login = s.exchange('a1 LOGIN alice ******', 'OK');
    const select = s.exchange('a2 SELECT INBOX', 'OK', ['* 3 EXISTS', '* FLAGS (\\Seen)']);
    const m = new SessionModel('s1');
    m.add(s.events);
    const groups = m.entries.filter((e) => e.kind === 'group');
    expect(groups.map((g) => g.seq)).toEqual([login, select]);
    const g = groups[1]!;
    expect(g.kind === 'group' && g.exchange?.status).toBe('OK');
    expect(g.kind === 'group' && g.children).toEqual([select + 1, select + 2, select + 3]);
    expect(m.row).toMatchObject({ exchangeCount: 2, noCount: 0, badCount: 0 });
  });

  it('shows a command in flight with the answers so far, before its exchange event', () => {
    const s = new SessionScript().open();
    const idle = s.c('a1 IDLE');
    s.s('+ idling', { type: 'continuation', text: 'idling' });
    const m = new SessionModel('s1');
    m.add(s.events);
    const g = m.groupOf(idle)!;
    expect(g.exchange).toBeNull();
    expect(g.children).toEqual([idle + 1]);
  });

  it('applies events in seq order whatever order they arrive in, and drops duplicates', () => {
    const s = new SessionScript().open();
    s.exchange('a1 NOOP', 'OK');
    s.exchange('a2 NOOP', 'NO');
    const m = new SessionModel('s1');
    const shuffled = [...s.events].reverse();
    m.add(shuffled.slice(0, 3));
    expect(m.applied).toBe(0);
    m.add(shuffled);
    m.add(s.events);
    expect(m.applied).toBe(s.events.length);
    expect(m.entries.filter((e) => e.kind === 'group')).toHaveLength(2);
    expect(m.row.noCount).toBe(1);
  });

  it('stops waiting for a hole once the archive has been read to the end', () => {
    const s = new SessionScript().open();
    s.exchange('a1 NOOP', 'OK');
    const m = new SessionModel('s1');
    m.add(s.events.filter((e) => e.seq !== 2));
    expect(m.applied).toBe(1);
    m.markCaughtUp();
    expect(m.applied).toBe(s.events.length);
  });

  it('attaches a lint to the exchange it is about and keeps it inline', () => {
    const s = new SessionScript().open();
    const fetch = s.exchange('a1 FETCH 1:3', 'BAD');
    s.push({
      type: 'lint',
      severity: 'error',
      code: 'LINT_COMPLETION_BAD',
      title: 'BAD: FETCH needs data items',
      explanation: 'Say what to fetch.',
      rfc: 'RFC 3501 §6.4.5',
      relatedSeq: fetch + 1,
    });
    const m = new SessionModel('s1');
    m.add(s.events);
    expect(m.groupOf(fetch)!.lints).toEqual([s.events.length]);
    expect(m.entries.at(-1)).toEqual({ kind: 'single', seq: s.events.length });
  });

  it('flattens open groups into rows and finds the row of any seq', () => {
    const s = new SessionScript().open();
    const a = s.exchange('a1 SELECT INBOX', 'OK', ['* 1 EXISTS']);
    const m = new SessionModel('s1');
    m.add(s.events);
    expect(m.flat()).toHaveLength(2);
    m.setExpanded(m.groupOf(a)!, true);
    const rows = m.flat();
    expect(rows).toHaveLength(4);
    expect(m.rowIndexOf(a, rows)).toBe(1);
    expect(m.rowIndexOf(a + 2, rows)).toBe(3);
  });
});
