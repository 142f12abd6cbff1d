/**
 * One session as the session view draws it, built incrementally from its events (REST pages
 * and live ones, in any interleaving: events are applied in seq order, duplicates dropped).
 *
 * The timeline's top level is a list of entries in seq order: a *group* per command (the
 * command, its continuation requests, untagged responses and tagged completion, exact once its
 * `exchange` event arrives) and single rows for everything else worth seeing inline (greeting,
 * unsolicited responses, lints, state changes, TLS, COMPRESS, malformed input, gaps).
 */
import type {
  ExchangeEvent,
  ImapscopeEvent,
  ImapState,
  LintEvent,
  SessionFacts,
  StateChangeEvent,
  TlsEstablishedEvent,
  CompressStartedEvent,
} from '../../../shared/events.ts';
import { assertNever } from '../../../shared/events.ts';
import type { SessionRow } from '../../../shared/protocol.ts';
import { applySessionEvent, newSessionRow } from '../../../shared/session-row.ts';
import { Emitter } from './emitter.ts';

export interface Group {
  kind: 'group';
  /** seq of the command's message event. */
  seq: number;
  tag: string;
  command: string;
  uid: boolean;
  exchange: ExchangeEvent | null;
  /** seqs of the messages answering it (and the client's SASL lines / DONE), sorted. */
  children: number[];
  /** seqs of lint events about the command or its responses. */
  lints: number[];
  /** `at` of the command, for the latency bar of a command still in flight. */
  at: number;
}

export interface Single {
  kind: 'single';
  seq: number;
}

export type Entry = Group | Single;

/** A row of the flattened, virtualized timeline. */
export type FlatRow =
  { kind: 'entry'; entry: Entry } | { kind: 'child'; group: Group; seq: number };

export class SessionModel {
  readonly emitter = new Emitter();
  /** Events by seq (index 0 unused). */
  readonly events: (ImapscopeEvent | undefined)[] = [];
  readonly entries: Entry[] = [];
  readonly path: StateChangeEvent[] = [];
  readonly tls: TlsEstablishedEvent[] = [];
  compress: CompressStartedEvent | null = null;
  facts: SessionFacts | null = null;
  /**
   * The session's row as the shared reducer keeps it from the events applied here (state,
   * exchange, NO/BAD, lint and gap counts): the same fold as the hub's and the list's rows.
   */
  readonly row: SessionRow;
  /** Whether `row`'s counts cover every event of the session (REST paging reached the end). */
  countsExact = false;
  closed = false;
  /** The slowest exchange so far, to scale the latency bars. */
  maxLatencyMs = 0;
  /** The highest seq applied; events apply in order from here. */
  applied = 0;
  /** Set once REST paging reached the end: from then on a hole in seqs is not waited for. */
  caughtUp = false;
  private waiting = new Map<number, ImapscopeEvent>();
  /** seq of a command or answer → its group. */
  private owner = new Map<number, Group>();
  private groupBySeq = new Map<number, Group>();
  /** Commands without their exchange yet, oldest first. */
  private inFlight: Group[] = [];
  private expanded = new Set<number>();
  private flatCache: FlatRow[] | null = null;

  constructor(readonly id: string) {
    this.row = newSessionRow(id, 0);
  }

  /** The current IMAP state; `not-authenticated` until an event says otherwise. */
  get state(): ImapState {
    return this.row.state ?? 'not-authenticated';
  }

  add(events: readonly ImapscopeEvent[]): void {
    let any = false;
    for (const e of events) {
      if (e.session !== this.id || e.seq <= this.applied || this.waiting.has(e.seq)) continue;
      this.waiting.set(e.seq, e);
      any = true;
    }
    if (any) this.drain();
  }

  /** REST paging is done: apply whatever waits behind a hole (events the hub dropped). */
  markCaughtUp(): void {
    this.caughtUp = true;
    this.countsExact = true;
    this.drain();
    this.emitter.changed();
  }

  private drain(): void {
    let next: ImapscopeEvent | undefined;
    let any = false;
    for (;;) {
      next = this.waiting.get(this.applied + 1);
      if (next === undefined && this.caughtUp && this.waiting.size > 0) {
        const first = Math.min(...this.waiting.keys());
        next = this.waiting.get(first);
      }
      if (next === undefined) break;
      this.waiting.delete(next.seq);
      this.apply(next);
      this.applied = next.seq;
      any = true;
    }
    if (any) {
      this.flatCache = null;
      this.emitter.changed();
    }
  }

  private apply(e: ImapscopeEvent): void {
    this.events[e.seq] = e;
    applySessionEvent(this.row, e);
    switch (e.type) {
      case 'session.open':
      case 'malformed':
      case 'gap':
        this.entries.push({ kind: 'single', seq: e.seq });
        return;
      case 'session.close':
        this.closed = true;
        this.entries.push({ kind: 'single', seq: e.seq });
        return;
      case 'session.facts':
        this.facts = e;
        return;
      case 'tls.established':
        this.tls.push(e);
        this.entries.push({ kind: 'single', seq: e.seq });
        return;
      case 'compress.started':
        this.compress = e;
        this.entries.push({ kind: 'single', seq: e.seq });
        return;
      case 'state.change':
        this.path.push(e);
        this.entries.push({ kind: 'single', seq: e.seq });
        return;
      case 'lint':
        this.lint(e);
        this.entries.push({ kind: 'single', seq: e.seq });
        return;
      case 'exchange':
        this.exchange(e);
        return;
      case 'message':
        this.message(e);
        return;
      default:
        assertNever(e);
    }
  }

  private message(e: Extract<ImapscopeEvent, { type: 'message' }>): void {
    const m = e.message;
    if (m.type === 'command') {
      const g: Group = {
        kind: 'group',
        seq: e.seq,
        tag: m.tag,
        command: m.name,
        uid: m.uid,
        exchange: null,
        children: [],
        lints: [],
        at: e.at,
      };
      this.entries.push(g);
      this.inFlight.push(g);
      this.groupBySeq.set(e.seq, g);
      this.owner.set(e.seq, g);
      return;
    }
    if (m.type === 'greeting' || (m.type === 'untagged' && e.unsolicited)) {
      this.entries.push({ kind: 'single', seq: e.seq });
      return;
    }
    // A tagged completion belongs to its tag; the rest to the newest command in flight
    // (until the exchange event says exactly).
    const g =
      m.type === 'tagged'
        ? this.inFlight.findLast((x) => x.tag === m.tag)
        : this.inFlight[this.inFlight.length - 1];
    if (!g) {
      this.entries.push({ kind: 'single', seq: e.seq });
      return;
    }
    g.children.push(e.seq);
    this.owner.set(e.seq, g);
  }

  private exchange(e: ExchangeEvent): void {
    const g = this.groupBySeq.get(e.commandSeq);
    if (!g) return;
    g.exchange = e;
    if (e.latencyMs !== null) this.maxLatencyMs = Math.max(this.maxLatencyMs, e.latencyMs);
    this.inFlight = this.inFlight.filter((x) => x !== g);
    const seqs = new Set(g.children);
    for (const s of e.continuationSeqs) seqs.add(s);
    for (const s of e.untaggedSeqs) seqs.add(s);
    if (e.completionSeq !== null) seqs.add(e.completionSeq);
    g.children = [...seqs].sort((a, b) => a - b);
    for (const s of g.children) if (!this.owner.has(s)) this.owner.set(s, g);
  }

  private lint(e: LintEvent): void {
    if (e.relatedSeq === null) return;
    const g = this.owner.get(e.relatedSeq);
    if (g) g.lints.push(e.seq);
  }

  /**
   * How many steps of `path` had been taken as of the row showing `seq`: the steps before it,
   * and the one its command caused (selecting `A3 SELECT` shows Selected, though the
   * state.change event comes after the completion). A row outside any group counts the steps
   * up to its own seq.
   */
  stepsAsOf(seq: number): number {
    const command = this.owner.get(seq)?.seq ?? seq;
    let n = 0;
    while (n < this.path.length && (this.path[n]!.seq <= seq || this.path[n]!.cause.seq <= command))
      n++;
    return n;
  }

  /** The state as of the row showing `seq` (see `stepsAsOf`). */
  stateAsOf(seq: number): ImapState {
    const n = this.stepsAsOf(seq);
    return n > 0 ? this.path[n - 1]!.to : (this.path[0]?.from ?? 'not-authenticated');
  }

  /** The group a message belongs to (its command or one of its answers). */
  groupOf(seq: number): Group | undefined {
    return this.owner.get(seq);
  }

  isExpanded(g: Group): boolean {
    return this.expanded.has(g.seq);
  }

  setExpanded(g: Group, open: boolean): void {
    if (open === this.expanded.has(g.seq)) return;
    if (open) this.expanded.add(g.seq);
    else this.expanded.delete(g.seq);
    this.flatCache = null;
    this.emitter.changed();
  }

  /** The timeline's rows: entries with the children of expanded groups; `limit` entries at most. */
  flat(limit = Infinity): FlatRow[] {
    if (this.flatCache && limit >= this.entries.length) return this.flatCache;
    const out: FlatRow[] = [];
    const n = Math.min(limit, this.entries.length);
    for (let i = 0; i < n; i++) {
      const entry = this.entries[i]!;
      out.push({ kind: 'entry', entry });
      if (entry.kind === 'group' && this.expanded.has(entry.seq)) {
        for (const seq of entry.children) out.push({ kind: 'child', group: entry, seq });
      }
    }
    if (limit >= this.entries.length) this.flatCache = out;
    return out;
  }

  /** Index in `flat()` of the row showing `seq` (its group's row for an answer), or -1. */
  rowIndexOf(seq: number, rows: readonly FlatRow[]): number {
    const g = this.owner.get(seq);
    const target = g ? g.seq : seq;
    // Entries are in seq order: binary search the top level, then step over children.
    let lo = 0;
    let hi = rows.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = rows[mid]!;
      const s = r.kind === 'entry' ? r.entry.seq : r.group.seq;
      if (s === target && r.kind === 'entry') return this.childRow(mid, seq, rows);
      if (s < target) lo = mid + 1;
      else hi = mid - 1;
    }
    return rows.findIndex((r) => r.kind === 'entry' && r.entry.seq === target);
  }

  /** The row of answer `seq` under the group at `index` when the group is open, else `index`. */
  private childRow(index: number, seq: number, rows: readonly FlatRow[]): number {
    for (let i = index + 1; i < rows.length; i++) {
      const r = rows[i]!;
      if (r.kind !== 'child') break;
      if (r.seq === seq) return i;
    }
    return index;
  }
}

/** The seq a row stands for: the command for a group, else the row's own event. */
export function rowSeq(r: FlatRow): number {
  return r.kind === 'entry' ? r.entry.seq : r.seq;
}
