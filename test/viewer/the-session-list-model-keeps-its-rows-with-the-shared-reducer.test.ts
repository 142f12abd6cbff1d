import { describe, expect, it } from 'vitest';
import { reduceSessionRow } from '../../shared/session-row.ts';
import { SessionListModel } from '../../viewer/src/state/session-list-model.ts';
import { SessionModel } from '../../viewer/src/state/session-model.ts';
import { SessionScript } from './events.ts';

describe('the session list model', () => {
  it('keeps a live session the row the hub would keep, counts exact from its session.open', () => {
    const s = new SessionScript().open();
    s.exchange('a1 LOGIN alice ******', 'OK');
    s.exchange('a2 SELECT nope', 'NO');
    s.exchange('a3 BOGUS', 'BAD');
    s.push({ type: 'gap', direction: 's2c', droppedChunks: 1, droppedBytes: 512 });
    const list = new SessionListModel();
    // In two batches, as the WebSocket delivers them.
    list.apply(s.events.slice(0, 3));
    list.apply(s.events.slice(3));
    const { countsExact, ...row } = list.get('s1')!;
    expect(row).toEqual(reduceSessionRow(s.events));
    expect(countsExact).toBe(true);
    expect([row.noCount, row.badCount, row.exchangeCount, row.gapBytes]).toEqual([1, 1, 3, 512]);
  });

  it('counts on from the row the hub listed, and ignores sessions it has no row for', () => {
    const s = new SessionScript().open();
    s.exchange('a1 LOGIN alice ******', 'OK');
    const listed = reduceSessionRow(s.events);
    const list = new SessionListModel();
    list.setRows([listed]);
    const before = s.events.length;
    s.exchange('a2 SELECT nope', 'NO');
    list.apply(s.events.slice(before));
    list.apply([{ ...s.events[before]!, session: 'unknown' }]);
    const { countsExact, ...row } = list.get('s1')!;
    expect(row).toEqual(reduceSessionRow(s.events));
    expect(countsExact).toBe(true);
    expect(list.get('unknown')).toBeUndefined();
  });

  it("takes a fully loaded session's counts, gaps included, from the session's own row of the shared reducer", () => {
    const s = new SessionScript().open();
    s.exchange('a1 LOGIN alice ******', 'OK');
    s.push({ type: 'gap', direction: 'c2s', droppedChunks: 2, droppedBytes: 300 });
    s.exchange('a2 SELECT nope', 'NO');
    const list = new SessionListModel();
    // The hub listed it from a partial archive: no gap known yet, counts short.
    list.setRows([reduceSessionRow(s.events.slice(0, 2))]);
    const model = new SessionModel('s1');
    model.add(s.events);
    model.markCaughtUp();
    // The model starts its row at 0: its startedAt is the listed row's business, not its own.
    expect(model.row).toEqual({ ...reduceSessionRow(s.events), startedAt: 0 });
    list.setCounts('s1', model.row, model.countsExact);
    const row = list.get('s1')!;
    expect([row.exchangeCount, row.noCount, row.gapCount, row.gapBytes]).toEqual([2, 1, 1, 300]);
    expect(row.countsExact).toBe(true);
  });
});
