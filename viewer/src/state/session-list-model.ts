/**
 * The session list: rows from the hub's snapshot and REST list, kept current by live events
 * (new sessions, state and user, close, and the NO/BAD/lint counts).
 */
import type { ImapscopeEvent } from '../../../shared/events.ts';
import { assertNever } from '../../../shared/events.ts';
import type { SessionRow } from '../../../shared/protocol.ts';
import { Emitter } from './emitter.ts';

/** Counts seen in events; `exact` once every event of the session has been seen. */
export interface SessionCounts {
  no: number;
  bad: number;
  lints: number;
  exchanges: number;
  exact: boolean;
}

export interface SessionListRow extends SessionRow {
  counts: SessionCounts;
}

export class SessionListModel {
  readonly emitter = new Emitter();
  private rows = new Map<string, SessionListRow>();

  /** Replaces the list with the hub's (snapshot or REST), keeping counts already known. */
  setRows(rows: SessionRow[]): void {
    const next = new Map<string, SessionListRow>();
    for (const r of rows) {
      const old = this.rows.get(r.id);
      next.set(r.id, { ...r, counts: old?.counts ?? countsOf(r) });
    }
    // Sessions seen live but not in a (limited) list stay.
    for (const [id, r] of this.rows) if (!next.has(id)) next.set(id, r);
    this.rows = next;
    this.emitter.changed();
  }

  /** Exact counts computed from a fully loaded session. */
  setCounts(id: string, counts: SessionCounts): void {
    const row = this.rows.get(id);
    if (!row) return;
    row.counts = counts;
    this.emitter.changed();
  }

  get(id: string): SessionListRow | undefined {
    return this.rows.get(id);
  }

  /** Newest first. */
  list(): SessionListRow[] {
    return [...this.rows.values()].sort((a, b) => b.startedAt - a.startedAt);
  }

  apply(events: readonly ImapscopeEvent[]): void {
    let touched = false;
    for (const e of events) touched = this.applyOne(e) || touched;
    if (touched) this.emitter.changed();
  }

  private applyOne(e: ImapscopeEvent): boolean {
    const row = this.rows.get(e.session);
    switch (e.type) {
      case 'session.open':
        if (row) return false;
        this.rows.set(e.session, {
          id: e.session,
          client: `${e.client.host}:${e.client.port}`,
          upstream: `${e.upstream.host}:${e.upstream.port}`,
          startedAt: e.at,
          endedAt: null,
          user: null,
          state: 'not-authenticated',
          reason: null,
          bytesC2s: null,
          bytesS2c: null,
          events: 1,
          source: 'live',
          droppedEvents: 0,
          exchangeCount: 0,
          noCount: 0,
          badCount: 0,
          lintCount: 0,
          gapCount: 0,
          gapBytes: 0,
          // Seen from its first event: the counts are complete.
          counts: emptyCounts(e.seq === 1),
        });
        return true;
      case 'session.close':
        if (!row) return false;
        row.endedAt = e.at;
        row.reason = e.reason;
        row.state = e.state;
        row.user = e.user ?? row.user;
        row.bytesC2s = e.bytes.c2s;
        row.bytesS2c = e.bytes.s2c;
        break;
      case 'session.facts':
        if (!row) return false;
        row.state = e.state;
        row.user = e.user ?? row.user;
        break;
      case 'state.change':
        if (!row) return false;
        row.state = e.to;
        break;
      case 'exchange':
        if (!row) return false;
        row.counts.exchanges += 1;
        if (e.status === 'NO') row.counts.no += 1;
        if (e.status === 'BAD') row.counts.bad += 1;
        break;
      case 'lint':
        if (!row) return false;
        row.counts.lints += 1;
        break;
      case 'message':
      case 'malformed':
      case 'gap':
      case 'tls.established':
      case 'compress.started':
        if (!row) return false;
        break;
      default:
        assertNever(e);
    }
    row.events += 1;
    return true;
  }
}

/** The counts the hub keeps per session (archive or registry): complete for what it has seen. */
function countsOf(r: SessionRow): SessionCounts {
  return {
    no: r.noCount,
    bad: r.badCount,
    lints: r.lintCount,
    exchanges: r.exchangeCount,
    exact: true,
  };
}

export function emptyCounts(exact: boolean): SessionCounts {
  return { no: 0, bad: 0, lints: 0, exchanges: 0, exact };
}

/** Rows matching a search (client, user, upstream, id, state) and a state filter. */
export function filterRows(
  rows: readonly SessionListRow[],
  search: string,
  state: string,
): SessionListRow[] {
  const q = search.trim().toLowerCase();
  return rows.filter((r) => {
    if (state === 'live' && r.endedAt !== null) return false;
    if (state === 'ended' && r.endedAt === null) return false;
    if (state !== '' && state !== 'live' && state !== 'ended' && r.state !== state) return false;
    if (q === '') return true;
    return [r.id, r.client, r.user ?? '', r.upstream, r.state ?? '', r.source]
      .join(' ')
      .toLowerCase()
      .includes(q);
  });
}
