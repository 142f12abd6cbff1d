/**
 * The session list: rows from the hub's snapshot and REST list, kept current by live events
 * through the shared reducer (shared/session-row.ts), the same one the hub's registry and the
 * archive keep their rows with.
 */
import type { ImapscopeEvent } from '../../../shared/events.ts';
import type { SessionRow, SessionSort } from '../../../shared/protocol.ts';
import { applySessionEvent, newSessionRow } from '../../../shared/session-row.ts';
import { Emitter } from './emitter.ts';

/** The counts of a row that a fully loaded session (or a live one seen from its start) knows exactly. */
const COUNT_FIELDS = [
  'exchangeCount',
  'noCount',
  'badCount',
  'lintCount',
  'gapCount',
  'gapBytes',
] as const satisfies readonly (keyof SessionRow)[];
type CountField = (typeof COUNT_FIELDS)[number];

export interface SessionListRow extends SessionRow {
  /** Whether the row's exchange, NO/BAD, lint and gap counts cover every event of the session. */
  countsExact: boolean;
}

/** What the list asks the hub for: `GET /api/sessions` parameters (see shared/protocol.ts). */
export interface ListQuery {
  text: string;
  /** A display filter (docs/filter.md): only sessions holding a match; '' for none. */
  filter: string;
  /** '' (all), `live`, `ended` or an IMAP state. */
  state: string;
  sort: SessionSort;
  order: 'asc' | 'desc';
  offset: number;
  limit: number;
}

export const DEFAULT_QUERY: ListQuery = {
  text: '',
  filter: '',
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
  /**
   * false when `total` is a lower bound: a display filter's search stopped before the end of
   * the list (X-Total-Exact); absent means exact.
   */
  exact?: boolean;
  /** With a display filter: sessions searched (from the list's start) of those listed. */
  searched?: number;
  listed?: number;
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
  /** Whether `total` is exact; false: at least `total` (a display filter's search stopped). */
  totalExact = true;
  /** With a display filter that stopped short: how far its search got, else null. */
  searched: { sessions: number; of: number } | null = null;
  /** Whether a page has arrived (the list is empty until then). */
  loaded = false;
  loading = false;
  error: string | null = null;
  private pageGseq = 0;
  /** Live events held while a page is in flight. */
  private held: ImapscopeEvent[] | null = null;
  private generation = 0;

  /**
   * Fetches the page `query` names (the hub does the paging, sorting and search). Resolves
   * with whether this page is the one shown: false when it failed, or when a later `load`
   * replaced it before it came.
   */
  async load(fetchPage: (q: ListQuery) => Promise<ListPage>, query = this.query): Promise<boolean> {
    const mine = ++this.generation;
    this.query = query;
    this.loading = true;
    this.held ??= [];
    this.emitter.changed();
    try {
      const page = await fetchPage(query);
      if (mine !== this.generation) return false;
      this.setPage(page);
      this.error = null;
      return true;
    } catch (err) {
      if (mine !== this.generation) return false;
      this.error = (err as Error).message;
      return false;
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

  /** The live position (gseq) the page shown was read at, or null before a page came. */
  get position(): number | null {
    return this.loaded ? this.pageGseq : null;
  }

  private setPage(page: ListPage): void {
    this.pageIds = page.rows.map((r) => r.id);
    this.fresh = [];
    for (const r of page.rows) this.remember(r);
    this.total = page.total;
    this.totalExact = page.exact ?? true;
    this.searched =
      page.searched !== undefined && page.listed !== undefined && page.searched < page.listed
        ? { sessions: page.searched, of: page.listed }
        : null;
    this.pageGseq = page.lastGseq;
    this.loaded = true;
  }

  /** Adds or refreshes a row from the hub (a page, the snapshot, one opened by URL). */
  remember(r: SessionRow): void {
    const old = this.rows.get(r.id);
    // The hub's rows count every archived event; counts from a fully loaded session stay.
    this.rows.set(
      r.id,
      old?.countsExact ? { ...r, ...countsOf(old) } : { ...r, countsExact: true },
    );
    this.emitter.changed();
  }

  /** The WebSocket snapshot's rows: live sessions merge into the list from them. */
  setRows(rows: SessionRow[]): void {
    for (const r of rows) this.remember(r);
  }

  /**
   * The counts of `from`, a fully loaded session's row as the shared reducer folded it
   * (SessionModel.row), replace the listed row's; `exact` says whether they cover every event.
   */
  setCounts(id: string, from: Readonly<SessionRow>, exact: boolean): void {
    const row = this.rows.get(id);
    if (!row) return;
    for (const k of COUNT_FIELDS) row[k] = from[k];
    row.countsExact = exact;
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
    if (q.text.trim() !== '' || q.filter.trim() !== '') return false;
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

  /**
   * A session's row starts with its session.open, or came in the hub's list. Events of other
   * sessions, and a session.open already known, are left out.
   */
  private applyOne(e: ImapscopeEvent): boolean {
    let row = this.rows.get(e.session);
    if (e.type === 'session.open') {
      if (row) return false;
      if (this.admits()) {
        this.fresh.unshift(e.session);
        this.total += 1;
      }
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
function countsOf(r: SessionListRow): Pick<SessionListRow, CountField | 'countsExact'> {
  const out = { countsExact: r.countsExact } as Pick<SessionListRow, CountField | 'countsExact'>;
  for (const k of COUNT_FIELDS) out[k] = r[k];
  return out;
}
