/**
 * The session list: rows from the hub's snapshot and REST list, kept current by live events
 * (new sessions, state and user, close, and the NO/BAD/lint counts).
 */
import type { ImapscopeEvent } from '../../../shared/events.ts';
import { assertNever } from '../../../shared/events.ts';
import type { SessionRow, SessionSort } from '../../../shared/protocol.ts';
import { clientIdOf } from '../../../shared/client-id.ts';
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

/** What the list asks the hub for: `GET /api/sessions` parameters (see shared/protocol.ts). */
export interface ListQuery {
  text: string;
  /** '' (all), `live`, `ended` or an IMAP state. */
  state: string;
  sort: SessionSort;
  order: 'asc' | 'desc';
  offset: number;
  limit: number;
}

export const DEFAULT_QUERY: ListQuery = {
  text: '',
  state: '',
  sort: 'started',
  order: 'desc',
  offset: 0,
  limit: 50,
};

/** One page as the hub answered it: its rows, how many match in all, and its live position. */
export interface ListPage {
  rows: SessionRow[];
  total: number;
  /** The last gseq when the hub read the page: later live events are applied on top. */
  lastGseq: number;
}

/**
 * The session list: one page of the whole archive (paged, sorted, filtered and searched by
 * the hub), kept current by live events, with sessions that opened since the page was read
 * merged in at the top of the first page. Like the connection's snapshot and live stream
 * (connection.ts): live events that arrive while a page is being fetched wait, and once the
 * page is there only those after its `lastGseq` are applied.
 */
export class SessionListModel {
  readonly emitter = new Emitter();
  /** Every row known: the page's, live ones, and sessions opened by URL (for their header). */
  private rows = new Map<string, SessionListRow>();
  private pageIds: string[] = [];
  /** Sessions opened live since the page was read, newest first. */
  private fresh: string[] = [];
  query: ListQuery = DEFAULT_QUERY;
  total = 0;
  /** Whether a page has arrived (the list is empty until then). */
  loaded = false;
  loading = false;
  error: string | null = null;
  private pageGseq = 0;
  /** Live events held while a page is in flight. */
  private held: ImapscopeEvent[] | null = null;
  private generation = 0;

  /** Fetches the page `query` names (the hub does the paging, sorting and search). */
  async load(fetchPage: (q: ListQuery) => Promise<ListPage>, query = this.query): Promise<void> {
    const mine = ++this.generation;
    this.query = query;
    this.loading = true;
    this.held ??= [];
    this.emitter.changed();
    try {
      const page = await fetchPage(query);
      if (mine !== this.generation) return;
      this.setPage(page);
      this.error = null;
    } catch (err) {
      if (mine !== this.generation) return;
      this.error = (err as Error).message;
    } finally {
      if (mine === this.generation) {
        this.loading = false;
        const held = this.held ?? [];
        this.held = null;
        this.apply(held.filter((e) => e.gseq > this.pageGseq || e.gseq === 0));
        this.emitter.changed();
      }
    }
  }

  private setPage(page: ListPage): void {
    this.pageIds = page.rows.map((r) => r.id);
    this.fresh = [];
    for (const r of page.rows) this.remember(r);
    this.total = page.total;
    this.pageGseq = page.lastGseq;
    this.loaded = true;
  }

  /** Adds or refreshes a row from the hub (a page, the snapshot, one opened by URL). */
  remember(r: SessionRow): void {
    const old = this.rows.get(r.id);
    this.rows.set(r.id, { ...r, counts: old?.counts.exact ? old.counts : countsOf(r) });
    this.emitter.changed();
  }

  /** The WebSocket snapshot's rows: live sessions merge into the list from them. */
  setRows(rows: SessionRow[]): void {
    for (const r of rows) this.remember(r);
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

  /** Every row known, newest first (the console finds its own session here). */
  list(): SessionListRow[] {
    return [...this.rows.values()].sort((a, b) => b.startedAt - a.startedAt);
  }

  /** What the list shows: on the first page, sessions opened since on top; then the page. */
  pageRows(): SessionListRow[] {
    const out: SessionListRow[] = [];
    if (this.query.offset === 0) {
      for (const id of this.fresh) {
        const r = this.rows.get(id);
        if (r && !this.pageIds.includes(id)) out.push(r);
      }
    }
    for (const id of this.pageIds) {
      const r = this.rows.get(id);
      if (r) out.push(r);
    }
    return out;
  }

  /** How many sessions opened live since the page was read that the list shows on top. */
  get freshCount(): number {
    return this.query.offset === 0 ? this.fresh.length : 0;
  }

  /** A new live session belongs on top unless the query excludes it (a search, a filter). */
  private admits(): boolean {
    const q = this.query;
    if (q.text.trim() !== '') return false;
    return q.state === '' || q.state === 'live' || q.state === 'not-authenticated';
  }

  apply(events: readonly ImapscopeEvent[]): void {
    if (this.held) {
      this.held.push(...events);
      return;
    }
    let touched = false;
    for (const e of events) touched = this.applyOne(e) || touched;
    if (touched) this.emitter.changed();
  }

  private applyOne(e: ImapscopeEvent): boolean {
    const row = this.rows.get(e.session);
    switch (e.type) {
      case 'session.open':
        if (row) return false;
        if (this.admits()) {
          this.fresh.unshift(e.session);
          this.total += 1;
        }
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
          clientName: null,
          clientVersion: null,
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
      case 'message': {
        if (!row) return false;
        const id = e.message.type === 'command' ? clientIdOf(e.message) : null;
        if (id) {
          row.clientName = id.name;
          row.clientVersion = id.version;
        }
        break;
      }
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
