import type { ImapscopeEvent } from '../../shared/events.ts';
import { assertNever } from '../../shared/events.ts';
import type { SessionFilter, SessionRow } from '../../shared/protocol.ts';
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
  private ended = 0;

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
    this.end(row, summary.endedAt, summary.reason, summary.bytes.c2s, summary.bytes.s2c);
  }

  write(events: readonly ImapscopeEvent[]): void {
    for (const e of events) {
      switch (e.type) {
        case 'session.open':
          this.ensure(e.session, e.at, formatHostPort(e.client), formatHostPort(e.upstream));
          break;
        case 'session.facts': {
          const row = this.ensure(e.session, e.at, '', '');
          row.state = e.state;
          row.user = e.user ?? row.user;
          row.events += 1;
          break;
        }
        case 'state.change':
          this.ensure(e.session, e.at, '', '').state = e.to;
          this.ensure(e.session, e.at, '', '').events += 1;
          break;
        case 'session.close': {
          const row = this.ensure(e.session, e.at, '', '');
          row.state = e.state;
          row.user = e.user ?? row.user;
          row.events += 1;
          this.end(row, e.at, e.reason, e.bytes.c2s, e.bytes.s2c);
          break;
        }
        case 'exchange': {
          const row = this.ensure(e.session, e.at, '', '');
          row.exchangeCount += 1;
          if (e.status === 'NO') row.noCount += 1;
          if (e.status === 'BAD') row.badCount += 1;
          row.events += 1;
          break;
        }
        case 'lint': {
          const row = this.ensure(e.session, e.at, '', '');
          row.lintCount += 1;
          row.events += 1;
          break;
        }
        case 'gap': {
          const row = this.ensure(e.session, e.at, '', '');
          row.gapCount += 1;
          row.gapBytes += e.droppedBytes;
          row.events += 1;
          break;
        }
        case 'message':
        case 'malformed':
        case 'tls.established':
        case 'compress.started':
          this.ensure(e.session, e.at, '', '').events += 1;
          break;
        default:
          assertNever(e);
      }
    }
  }

  /** Newest first, filtered like the archive's list (`text` is not supported here). */
  list(f: SessionFilter = {}): SessionRow[] {
    const out: SessionRow[] = [];
    for (const r of [...this.rows.values()].reverse()) {
      if (f.user && !(r.user ?? '').toLowerCase().includes(f.user.toLowerCase())) continue;
      if (f.client && !r.client.includes(f.client)) continue;
      if (f.from !== undefined && (r.endedAt ?? Infinity) < f.from) continue;
      if (f.to !== undefined && r.startedAt > f.to) continue;
      if (f.state === 'live' && r.endedAt !== null) continue;
      if (f.state === 'ended' && r.endedAt === null) continue;
      if (f.state && f.state !== 'live' && f.state !== 'ended' && r.state !== f.state) continue;
      out.push({ ...r });
      if (f.limit !== undefined && out.length >= f.limit) break;
    }
    return out;
  }

  get(id: string): SessionRow | undefined {
    const r = this.rows.get(id);
    return r && { ...r };
  }

  private ensure(id: string, at: number, client: string, upstream: string): SessionRow {
    let row = this.rows.get(id);
    if (!row) {
      row = {
        id,
        client,
        upstream,
        startedAt: at,
        endedAt: null,
        user: null,
        state: null,
        reason: null,
        bytesC2s: null,
        bytesS2c: null,
        events: 0,
        source: 'live',
        droppedEvents: 0,
        exchangeCount: 0,
        noCount: 0,
        badCount: 0,
        lintCount: 0,
        gapCount: 0,
        gapBytes: 0,
      };
      this.rows.set(id, row);
    }
    if (!row.client && client) row.client = client;
    if (!row.upstream && upstream) row.upstream = upstream;
    return row;
  }

  private end(row: SessionRow, at: number, reason: string, c2s: number, s2c: number): void {
    if (row.endedAt === null) this.ended += 1;
    row.endedAt ??= at;
    row.reason ??= reason;
    row.bytesC2s = c2s;
    row.bytesS2c = s2c;
    // Forget the oldest ended sessions past the cap (Map keeps insertion order).
    if (this.ended > RECENT_SESSIONS_KEPT) {
      for (const [id, r] of this.rows) {
        if (r.endedAt === null) continue;
        this.rows.delete(id);
        this.ended -= 1;
        if (this.ended <= RECENT_SESSIONS_KEPT) break;
      }
    }
  }
}
