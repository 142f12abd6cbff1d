/**
 * The session list: rows from the hub's snapshot and REST list, kept current by live events
 * through the shared reducer (shared/session-row.ts), the same one the hub's registry and the
 * archive keep their rows with.
 */
import type { ImapscopeEvent } from '../../../shared/events.ts';
import type { SessionRow } from '../../../shared/protocol.ts';
import { applySessionEvent, newSessionRow } from '../../../shared/session-row.ts';
import { Emitter } from './emitter.ts';

/** Counts of one session's events; `exact` once every event of the session has been seen. */
export interface SessionCounts {
  no: number;
  bad: number;
  lints: number;
  exchanges: number;
  exact: boolean;
}

export interface SessionListRow extends SessionRow {
  /**
   * The row's NO/BAD/lint/exchange counts cover every event of the session (a row from the hub,
   * or seen live from its session.open); else they count only the events seen live.
   */
  countsExact: boolean;
}

export class SessionListModel {
  readonly emitter = new Emitter();
  private rows = new Map<string, SessionListRow>();

  /** Replaces the list with the hub's (snapshot or REST), keeping counts already known. */
  setRows(rows: SessionRow[]): void {
    const next = new Map<string, SessionListRow>();
    for (const r of rows) {
      const old = this.rows.get(r.id);
      next.set(r.id, old ? { ...r, ...countsOf(old) } : { ...r, countsExact: true });
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
    row.noCount = counts.no;
    row.badCount = counts.bad;
    row.lintCount = counts.lints;
    row.exchangeCount = counts.exchanges;
    row.countsExact = counts.exact;
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

  /**
   * A session's row starts with its session.open, or came in the hub's list. Events of other
   * sessions, and a session.open already known, are left out.
   */
  private applyOne(e: ImapscopeEvent): boolean {
    let row = this.rows.get(e.session);
    if (e.type === 'session.open') {
      if (row) return false;
      // Seen from its first event: the counts are complete.
      row = { ...newSessionRow(e.session, e.at), countsExact: e.seq === 1 };
      this.rows.set(e.session, row);
    }
    if (!row) return false;
    applySessionEvent(row, e);
    return true;
  }
}

/** The count fields of a row (kept when the hub's list replaces it). */
function countsOf(
  r: SessionListRow,
): Pick<SessionListRow, 'noCount' | 'badCount' | 'lintCount' | 'exchangeCount' | 'countsExact'> {
  return {
    noCount: r.noCount,
    badCount: r.badCount,
    lintCount: r.lintCount,
    exchangeCount: r.exchangeCount,
    countsExact: r.countsExact,
  };
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
