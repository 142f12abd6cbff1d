import type { ImapscopeEvent } from '../../shared/events.ts';
import type { SessionFilter, SessionPage, SessionRow, SessionSort } from '../../shared/protocol.ts';
import { applySessionEvent, endSessionRow, newSessionRow } from '../../shared/session-row.ts';
import { formatHostPort } from '../config.ts';
import type { SessionInfo, SessionSummary } from '../net/relay.ts';
import type { Sink } from './hub.ts';

/** How many ended sessions the in-memory registry remembers (the archive keeps the rest). */
export const RECENT_SESSIONS_KEPT = 200;

/**
 * Live and recently ended sessions in memory, for the session list when the archive is off.
 * Fed by the relay (`opened`/`closed`) and, as a hub sink, by events (user, state, close).
 */
export class SessionRegistry implements Sink {
  readonly name = 'registry';
  private readonly rows = new Map<string, SessionRow>();
  private endedCount = 0;

  opened(info: SessionInfo): void {
    this.ensure(
      info.id,
      info.startedAt,
      formatHostPort(info.client),
      formatHostPort(info.upstream),
    );
  }

  closed(summary: SessionSummary): void {
    const row = this.ensure(summary.id, summary.startedAt, '', '');
    const open = row.endedAt === null;
    endSessionRow(row, summary.endedAt, summary.reason, summary.bytes);
    if (open) this.ended();
  }

  write(events: readonly ImapscopeEvent[]): void {
    for (const e of events) {
      const row = this.ensure(e.session, e.at, '', '');
      const open = row.endedAt === null;
      applySessionEvent(row, e);
      if (open && row.endedAt !== null) this.ended();
    }
  }

  /** Newest first, filtered like the archive's list (`text` matches the row's columns only). */
  list(f: SessionFilter = {}): SessionRow[] {
    return this.query(f).sessions;
  }

  /** One page, sorted and filtered like the archive's querySessions (read.ts). */
  query(f: SessionFilter = {}): SessionPage {
    const q = f.text?.trim().toLowerCase() ?? '';
    const all: SessionRow[] = [];
    for (const r of [...this.rows.values()].reverse()) {
      if (f.user && (r.user ?? '').toLowerCase() !== f.user.toLowerCase()) continue;
      if (f.client && !r.client.includes(f.client)) continue;
      if (f.from !== undefined && (r.endedAt ?? Infinity) < f.from) continue;
      if (f.to !== undefined && r.startedAt > f.to) continue;
      if (f.state === 'live' && r.endedAt !== null) continue;
      if (f.state === 'ended' && r.endedAt === null) continue;
      if (f.state && f.state !== 'live' && f.state !== 'ended' && r.state !== f.state) continue;
      if (f.reason && r.reason !== f.reason) continue;
      const columns = [r.id, r.client, r.user ?? '', r.upstream, r.clientName ?? ''];
      if (q && !columns.join(' ').toLowerCase().includes(q)) continue;
      all.push({ ...r });
    }
    const key = sortKey(f.sort ?? 'started');
    const dir = f.order === 'asc' ? 1 : -1;
    all.sort((a, b) => {
      const x = key(a);
      const y = key(b);
      if (x < y) return -dir;
      if (x > y) return dir;
      return b.startedAt - a.startedAt;
    });
    const offset = Math.max(0, Math.floor(f.offset ?? 0)) || 0;
    const limit = f.limit ?? all.length;
    return { sessions: all.slice(offset, offset + limit), total: all.length };
  }

  get(id: string): SessionRow | undefined {
    const r = this.rows.get(id);
    return r && { ...r };
  }

  private ensure(id: string, at: number, client: string, upstream: string): SessionRow {
    let row = this.rows.get(id);
    if (!row) {
      row = newSessionRow(id, at);
      this.rows.set(id, row);
    }
    if (!row.client && client) row.client = client;
    if (!row.upstream && upstream) row.upstream = upstream;
    return row;
  }

  /** Counts a row that just ended; forgets the oldest ended rows past the cap. */
  private ended(): void {
    this.endedCount += 1;
    // Map keeps insertion order: the first ended rows found are the oldest.
    if (this.endedCount <= RECENT_SESSIONS_KEPT) return;
    for (const [id, r] of this.rows) {
      if (r.endedAt === null) continue;
      this.rows.delete(id);
      this.endedCount -= 1;
      if (this.endedCount <= RECENT_SESSIONS_KEPT) break;
    }
  }
}

/** What a sort column orders by, as in the archive's SORT_SQL (read.ts). */
function sortKey(sort: SessionSort): (r: SessionRow) => number | string {
  switch (sort) {
    case 'started':
      return (r) => r.startedAt;
    case 'ended':
      return (r) => r.endedAt ?? Number.MAX_SAFE_INTEGER;
    case 'duration':
      return (r) => (r.endedAt ?? Date.now()) - r.startedAt;
    case 'client':
      return (r) => r.client;
    case 'user':
      return (r) => r.user ?? '';
    case 'upstream':
      return (r) => r.upstream;
    case 'state':
      return (r) => r.state ?? '';
    case 'reason':
      return (r) => r.reason ?? '';
    case 'bytes':
      return (r) => (r.bytesC2s ?? 0) + (r.bytesS2c ?? 0);
    case 'events':
      return (r) => r.events;
    case 'exchanges':
      return (r) => r.exchangeCount;
    case 'gaps':
      return (r) => r.gapCount;
    case 'no':
      return (r) => r.noCount;
    case 'bad':
      return (r) => r.badCount;
    case 'lints':
      return (r) => r.lintCount;
    case 'clientName':
      return (r) => r.clientName ?? '';
  }
}
