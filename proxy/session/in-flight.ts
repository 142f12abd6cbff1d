/**
 * The commands of one session waiting for their tagged completion, with every question the
 * tracker asks about them answered in O(1) (DESIGN.md rule 5: work per message is O(1) in the
 * session's history): by tag through a Map, the newest through a list, and the state the next
 * command runs in through a running projection instead of a walk over all of them.
 */
import type { ImapState } from '../../shared/events.ts';
import type { Command, TaggedResponse } from '../../shared/messages.ts';
import { stateAfter } from './state.ts';

/** A command waiting for its tagged completion. */
export interface InFlight {
  tag: string;
  /** Upper-cased; FETCH for UID FETCH (see `uid`). */
  name: string;
  uid: boolean;
  /** c2s stream offset of the command's first byte. */
  offset: number;
  /** As received (unmasked, never emitted); null until the whole command was read. */
  cmd: Command | null;
  /** seq of the command's message event (or of its malformed event when cut short); 0 until read. */
  seq: number;
  /** When the command was read whole (its first line until then). */
  at: number;
  /** When its first line was read. */
  startedAt: number;
  /** The state the session would be in when it runs (earlier pipelined ones succeeding). */
  stateAtCommand: ImapState;
  /** SessionModel.capabilityEpoch when it started: were capabilities announced since? */
  capabilityEpoch: number;
  continuationSeqs: number[];
  untaggedSeqs: number[];
  untaggedCount: number;
  user: string | null;
  /** The completion, when it came before the command was read whole (a refused APPEND body). */
  early: { res: TaggedResponse; seq: number; at: number } | null;
  prev: InFlight | null;
  next: InFlight | null;
}

/** A command just started: nothing answered it yet. */
export function newInFlight(
  head: { offset: number; tag: string; name: string; uid: boolean },
  at: number,
  stateAtCommand: ImapState,
  capabilityEpoch: number,
): InFlight {
  return {
    tag: head.tag,
    name: head.name,
    uid: head.uid,
    offset: head.offset,
    cmd: null,
    seq: 0,
    at,
    startedAt: at,
    stateAtCommand,
    capabilityEpoch,
    continuationSeqs: [],
    untaggedSeqs: [],
    untaggedCount: 0,
    user: null,
    early: null,
    prev: null,
    next: null,
  };
}

/** Counts the entries visited, so tests can assert the work is linear (see TrackerOptions.work). */
export interface WorkCounter {
  ops: number;
}

/** Commands a successful run of which may change the state (see stateAfter). */
const STATE_CHANGERS = new Set([
  'LOGIN',
  'AUTHENTICATE',
  'SELECT',
  'EXAMINE',
  'CLOSE',
  'UNSELECT',
  'LOGOUT',
]);
/** Commands during which an untagged EXPUNGE is forbidden (RFC 9051 §7.5.1), UID forms excepted. */
const NO_EXPUNGE = new Set(['FETCH', 'STORE', 'SEARCH']);

/** In-flight commands in the order they were sent. */
export class InFlightTable {
  private head: InFlight | null = null;
  private tail: InFlight | null = null;
  private count = 0;
  private readonly byTag = new Map<string, InFlight[]>();
  /** The state-changing entries in order: the only ones a projection has to walk. */
  private readonly changers = new Set<InFlight>();
  /** `projection` is the state after every changer succeeds, starting from `projectionBase`. */
  private projection: ImapState = 'not-authenticated';
  private projectionBase: ImapState | null = null;
  /** Entries named STARTTLS, and non-UID FETCH/STORE/SEARCH, in flight. */
  private starttls = 0;
  private noExpunge = 0;

  constructor(private readonly work: WorkCounter) {}

  get size(): number {
    return this.count;
  }

  /** A STARTTLS is waiting for its completion. */
  get startTlsRunning(): boolean {
    return this.starttls > 0;
  }

  /** A command is running during which the server must not send EXPUNGE. */
  get expungeForbidden(): boolean {
    return this.noExpunge > 0;
  }

  /**
   * The state the next command runs in if every command in flight succeeds, the session being
   * in `base` now. O(1) unless a completion or a response broke the projection (a state-changing
   * command failed or completed out of order): then one walk over the state-changing commands.
   */
  projected(base: ImapState): ImapState {
    if (this.changers.size === 0) return base;
    if (this.projectionBase === base) return this.projection;
    let s = base;
    for (const p of this.changers) {
      this.work.ops++;
      s = stateAfter(p.name, s) ?? s;
    }
    this.projection = s;
    this.projectionBase = base;
    return s;
  }

  /** Appends a command; `base` is the session's state now. */
  add(p: InFlight, base: ImapState): void {
    this.work.ops++;
    if (STATE_CHANGERS.has(p.name)) {
      const before = this.projected(base);
      this.changers.add(p);
      this.projection = stateAfter(p.name, before) ?? before;
      this.projectionBase = base;
    }
    if (p.name === 'STARTTLS') this.starttls++;
    if (!p.uid && NO_EXPUNGE.has(p.name)) this.noExpunge++;
    p.prev = this.tail;
    p.next = null;
    if (this.tail === null) this.head = p;
    else this.tail.next = p;
    this.tail = p;
    this.count++;
    const same = this.byTag.get(p.tag);
    if (same === undefined) this.byTag.set(p.tag, [p]);
    else same.push(p);
  }

  /**
   * Removes a command that completed (or was given up). `before`/`after`: the session's state
   * around its completion; when it was the oldest state-changing command and did what the
   * projection assumed, the projection of the others still holds.
   */
  remove(p: InFlight, before: ImapState, after: ImapState): void {
    this.work.ops++;
    if (this.changers.has(p)) {
      const oldest = this.changers.values().next().value === p;
      const asProjected = (stateAfter(p.name, before) ?? before) === after;
      this.changers.delete(p);
      if (oldest && asProjected && this.projectionBase === before) this.projectionBase = after;
      else this.projectionBase = null;
    }
    if (p.name === 'STARTTLS') this.starttls--;
    if (!p.uid && NO_EXPUNGE.has(p.name)) this.noExpunge--;
    if (p.prev === null) this.head = p.next;
    else p.prev.next = p.next;
    if (p.next === null) this.tail = p.prev;
    else p.next.prev = p.prev;
    p.prev = p.next = null;
    this.count--;
    const same = this.byTag.get(p.tag);
    if (same === undefined) return;
    if (same.length === 1) this.byTag.delete(p.tag);
    else same.splice(same.indexOf(p), 1);
  }

  /** The oldest command in flight with this tag (a reused tag answers the first one). */
  first(tag: string): InFlight | undefined {
    this.work.ops++;
    return this.byTag.get(tag)?.[0];
  }

  /** The newest command in flight. */
  last(): InFlight | null {
    return this.tail;
  }

  /** The first in-flight command with this name (LOGOUT when a BYE comes), oldest first. */
  find(name: string): InFlight | undefined {
    for (const p of this) if (p.name === name) return p;
    return undefined;
  }

  *[Symbol.iterator](): IterableIterator<InFlight> {
    for (let p = this.head; p !== null; p = p.next) {
      this.work.ops++;
      yield p;
    }
  }
}
