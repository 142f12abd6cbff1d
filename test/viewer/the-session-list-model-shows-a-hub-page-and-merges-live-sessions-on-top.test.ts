import { describe, expect, it } from 'vitest';
import type { ImapscopeEvent } from '../../shared/events.ts';
import type { SessionRow } from '../../shared/protocol.ts';
import type { ListPage, ListQuery } from '../../viewer/src/state/session-list-model.ts';
import { DEFAULT_QUERY, SessionListModel } from '../../viewer/src/state/session-list-model.ts';

function row(id: string, startedAt: number): SessionRow {
  return {
    id,
    client: '127.0.0.1:50000',
    upstream: '127.0.0.1:143',
    startedAt,
    endedAt: startedAt + 10,
    user: 'alice',
    state: 'logout',
    reason: 'closed',
    bytesC2s: 10,
    bytesS2c: 20,
    events: 5,
    source: 'live',
    droppedEvents: 0,
    exchangeCount: 2,
    noCount: 0,
    badCount: 0,
    lintCount: 0,
    gapCount: 0,
    gapBytes: 0,
    clientName: null,
    clientVersion: null,
  };
}

function open(session: string, gseq: number): ImapscopeEvent {
  return {
    v: 1,
    session,
    seq: 1,
    gseq,
    at: 10_000 + gseq,
    type: 'session.open',
    client: { host: '127.0.0.1', port: 50001 },
    upstream: { host: '127.0.0.1', port: 143 },
  };
}

describe('the session list model', () => {
  it('shows the hub’s page with its total, and live sessions that opened since on top of page one', async () => {
    const model = new SessionListModel();
    await model.load(async () => ({ rows: [row('b', 2), row('a', 1)], total: 1000, lastGseq: 7 }));
    expect(model.pageRows().map((r) => r.id)).toEqual(['b', 'a']);
    expect(model.total).toBe(1000);
    model.apply([open('c', 8)]);
    expect(model.pageRows().map((r) => r.id)).toEqual(['c', 'b', 'a']);
    expect(model.total).toBe(1001);
    // Page two shows the hub's rows only.
    await model.load(async () => ({ rows: [row('z', 0)], total: 1001, lastGseq: 8 }), {
      ...DEFAULT_QUERY,
      offset: 50,
    });
    expect(model.pageRows().map((r) => r.id)).toEqual(['z']);
  });

  it('holds live events while a page loads and applies only those after the page’s position', async () => {
    const model = new SessionListModel();
    let answer: (p: ListPage) => void = () => undefined;
    const loading = model.load(() => new Promise<ListPage>((r) => (answer = r)));
    // Arrives while the page is in flight: gseq 5 is in the page already, 9 is not.
    model.apply([open('in-page', 5), open('after', 9)]);
    expect(model.pageRows()).toEqual([]);
    answer({ rows: [row('in-page', 5)], total: 1, lastGseq: 6 });
    await loading;
    expect(model.pageRows().map((r) => r.id)).toEqual(['after', 'in-page']);
    expect(model.total).toBe(2);
  });

  it('does not put a new live session on top of a search it may not match', async () => {
    const model = new SessionListModel();
    const search: ListQuery = { ...DEFAULT_QUERY, text: 'zebra' };
    await model.load(async () => ({ rows: [row('z', 1)], total: 1, lastGseq: 1 }), search);
    model.apply([open('new', 2)]);
    expect(model.pageRows().map((r) => r.id)).toEqual(['z']);
    expect(model.total).toBe(1);
    // It is known all the same (the console and the session header find it).
    expect(model.get('new')).toBeDefined();
  });
});
