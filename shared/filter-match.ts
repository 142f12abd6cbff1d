/**
 * Matching display filters (filter.ts) against a session's events, for the viewer's filter
 * box, `imapscope grep` and `GET /api/sessions?filter=`.
 *
 * What a filter is matched against is a {@link FilterSubject}: an *exchange* (a command with
 * every message that answered it: continuation requests, untagged responses, the tagged
 * completion, and the client's SASL lines or DONE) or one *inline* event outside any command
 * (the greeting, an unsolicited response, a malformed line, a lint). {@link FilterScanner}
 * builds subjects from events fed in seq order, the way the viewer's timeline groups them, so
 * a match's `seq` is the row the viewer shows: the command's seq for an exchange.
 */
import { decodeEncodedWords } from './encoded-words.ts';
import type { ExchangeEvent, ImapscopeEvent, LintEvent } from './events.ts';
import type { Filter, FilterNode, FilterTerm } from './filter.ts';
import type { Command, Message, ResponseCode, Token } from './messages.ts';

export interface FilterSubject {
  /** The timeline row: the command's seq for an exchange, else the event's own seq. */
  seq: number;
  /** The command, for an exchange; null for an inline event. */
  command: Command | null;
  /** The exchange's completion facts; null for an inline event or a command still in flight. */
  exchange: ExchangeEvent | null;
  /** The command and its answers in seq order, or the one inline message. */
  messages: Message[];
  /** The mailbox selected when the command was sent (or the inline event happened), if any. */
  selected: string | null;
  lint: LintEvent | null;
}

/** Commands whose mailbox arguments (by position) `mailbox:` also matches. */
const MAILBOX_ARGS: Record<string, number[]> = {
  SELECT: [0],
  EXAMINE: [0],
  CREATE: [0],
  DELETE: [0],
  RENAME: [0, 1],
  SUBSCRIBE: [0],
  UNSUBSCRIBE: [0],
  STATUS: [0],
  APPEND: [0],
  COPY: [1],
  MOVE: [1],
  GETQUOTAROOT: [0],
  GETACL: [0],
  SETACL: [0],
  DELETEACL: [0],
  MYRIGHTS: [0],
  LISTRIGHTS: [0],
};

function tokenText(t: Token | undefined): string | null {
  if (!t) return null;
  if (t.type === 'atom' || t.type === 'quoted' || t.type === 'sequence-set') return t.value;
  if (t.type === 'number') return String(t.value);
  if (t.type === 'literal') return utf8(t.literal.preview);
  return null;
}

const UTF8 = new TextDecoder('utf-8', { fatal: false });

function utf8(bytes: Uint8Array): string {
  return UTF8.decode(bytes);
}

/** Inclusive ranges of a sequence set; a range reaching `*` is left out (its end is unknown). */
function setRanges(set: string, out: [number, number][]): void {
  for (const part of set.split(',')) {
    const [a, b = a] = part.split(':');
    if (a === '*' || b === '*' || a === undefined) continue;
    const x = Number(a);
    const y = Number(b);
    if (Number.isInteger(x) && Number.isInteger(y)) out.push([Math.min(x, y), Math.max(x, y)]);
  }
}

function codeRanges(code: ResponseCode | null, out: [number, number][]): void {
  if (code?.kind === 'copyuid') {
    setRanges(code.sourceUids, out);
    setRanges(code.destUids, out);
  } else if (code?.kind === 'appenduid') setRanges(code.uids, out);
}

/** The UIDs a subject names: in a UID command's set, `UID n` search keys, and the answers. */
function uidRanges(s: FilterSubject): [number, number][] {
  const out: [number, number][] = [];
  const cmd = s.command;
  if (cmd) {
    const first = cmd.args[0];
    if (cmd.uid && first && (first.type === 'sequence-set' || first.type === 'number')) {
      setRanges(String(tokenText(first)), out);
    }
    const walk = (tokens: Token[]): void => {
      tokens.forEach((t, i) => {
        if (t.type === 'list') walk(t.items);
        else if (t.type === 'atom' && t.value.toUpperCase() === 'UID') {
          const next = tokens[i + 1];
          if (next && (next.type === 'sequence-set' || next.type === 'number')) {
            setRanges(String(tokenText(next)), out);
          }
        }
      });
    };
    walk(cmd.args);
  }
  for (const m of s.messages) {
    if (m.type === 'tagged') codeRanges(m.code, out);
    if (m.type !== 'untagged') continue;
    const d = m.data;
    if (d.kind === 'status') codeRanges(d.code, out);
    else if (d.kind === 'fetch') {
      for (const a of d.attributes) if (a.kind === 'uid') out.push([a.value, a.value]);
    } else if ((d.kind === 'search' || d.kind === 'sort') && cmd?.uid) {
      for (const n of d.numbers) out.push([n, n]);
    } else if (d.kind === 'esearch' && d.uid) {
      for (const v of Object.values(d.items)) {
        if (typeof v === 'number') out.push([v, v]);
        else setRanges(v, out);
      }
    } else if (d.kind === 'vanished') setRanges(d.uids, out);
  }
  return out;
}

/** Every literal in a decoded message, found anywhere in its tree. */
function literalTexts(value: unknown, out: string[]): void {
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return;
  if (Array.isArray(value)) {
    for (const v of value) literalTexts(v, out);
    return;
  }
  const o = value as Record<string, unknown>;
  if (o.type === 'literal' && typeof o.literal === 'object' && o.literal !== null) {
    const preview = (o.literal as { preview?: unknown }).preview;
    if (preview instanceof Uint8Array) out.push(decodeEncodedWords(utf8(preview)));
    return;
  }
  for (const k of Object.keys(o)) if (k !== 'raw') literalTexts(o[k], out);
}

const textCache = new WeakMap<FilterSubject, string>();

/**
 * The text `text:` searches, lower-cased: every message's lines as on the wire, the decoded
 * literal previews (header fields with RFC 2047 words decoded), and a lint's code and title.
 */
export function subjectText(s: FilterSubject): string {
  let t = textCache.get(s);
  if (t !== undefined) return t;
  const parts: string[] = [];
  for (const m of s.messages) {
    parts.push(m.raw);
    literalTexts(m, parts);
  }
  if (s.lint) parts.push(s.lint.code, s.lint.title);
  t = parts.join('\n').toLowerCase();
  textCache.set(s, t);
  return t;
}

function mailboxes(s: FilterSubject): string[] {
  const out = s.selected === null ? [] : [s.selected];
  const cmd = s.command;
  for (const i of (cmd && MAILBOX_ARGS[cmd.name]) ?? []) {
    const name = tokenText(cmd!.args[i]);
    if (name !== null) out.push(name);
  }
  return out;
}

function codeName(m: Message): string | null {
  if (m.type === 'tagged' || m.type === 'greeting') return m.code?.name ?? null;
  if (m.type === 'untagged' && m.data.kind === 'status') return m.data.code?.name ?? null;
  return null;
}

function matchTerm(t: FilterTerm, s: FilterSubject): boolean {
  switch (t.field) {
    case 'cmd':
      return (
        s.command !== null &&
        t.names.some((n) => n.name === s.command!.name && (!n.uid || s.command!.uid))
      );
    case 'status':
      return s.exchange !== null && t.values.includes(s.exchange.status);
    case 'latency': {
      const ms = s.exchange?.latencyMs;
      if (ms === null || ms === undefined) return false;
      if (t.op === '>') return ms > t.ms;
      if (t.op === '>=') return ms >= t.ms;
      if (t.op === '<') return ms < t.ms;
      return ms <= t.ms;
    }
    case 'mailbox':
      return mailboxes(s).some((m) => m.toLowerCase() === t.name);
    case 'uid': {
      const have = uidRanges(s);
      return have.some(([a, b]) => t.ranges.some(([x, y]) => a <= y && x <= b));
    }
    case 'text':
      return subjectText(s).includes(t.text);
    case 'tag':
      return s.command !== null && s.command.tag.toLowerCase() === t.tag;
    case 'code':
      return s.messages.some((m) => {
        const name = codeName(m);
        return name !== null && t.names.includes(name.toUpperCase());
      });
    case 'lint':
      return (
        s.lint !== null &&
        (s.lint.code.toLowerCase().includes(t.text) || s.lint.title.toLowerCase().includes(t.text))
      );
  }
}

function matchNode(n: FilterNode, s: FilterSubject): boolean {
  switch (n.type) {
    case 'and':
      return n.items.every((x) => matchNode(x, s));
    case 'or':
      return n.items.some((x) => matchNode(x, s));
    case 'not':
      return !matchNode(n.item, s);
    case 'term':
      return matchTerm(n.term, s);
  }
}

/** Whether the subject matches; the empty filter matches everything. */
export function filterMatches(filter: Filter, s: FilterSubject): boolean {
  return filter.root === null || matchNode(filter.root, s);
}

/** Commands in flight at once past which the oldest is given up (a client that never waits). */
export const FILTER_MAX_IN_FLIGHT = 1000;

interface Pending {
  subject: FilterSubject;
  tag: string;
}

/**
 * Builds subjects from one session's events, fed in seq order. An exchange's subject is
 * complete when its `exchange` event arrives; {@link finish} hands out the commands still in
 * flight (no completion yet) at the end. Memory: the commands in flight and their answers.
 */
export class FilterScanner {
  private selected: string | null = null;
  private inFlight: Pending[] = [];
  private readonly byCommandSeq = new Map<number, Pending>();

  /** Feeds one event; returns the subjects it completed (usually none or one). */
  push(e: ImapscopeEvent): FilterSubject[] {
    switch (e.type) {
      case 'state.change':
        this.selected = e.to === 'selected' ? e.mailbox : null;
        return [];
      case 'lint':
        return [this.single(e.seq, [], e)];
      case 'malformed':
        return [this.single(e.seq, [e.message], null)];
      case 'exchange': {
        const p = this.byCommandSeq.get(e.commandSeq);
        if (!p) return [];
        this.byCommandSeq.delete(e.commandSeq);
        this.inFlight = this.inFlight.filter((x) => x !== p);
        p.subject.exchange = e;
        return [p.subject];
      }
      case 'message':
        return this.message(e);
      default:
        return [];
    }
  }

  /** The commands still in flight, as subjects without an exchange. */
  finish(): FilterSubject[] {
    const out = this.inFlight.map((p) => p.subject);
    this.inFlight = [];
    this.byCommandSeq.clear();
    return out;
  }

  private single(seq: number, messages: Message[], lint: LintEvent | null): FilterSubject {
    return { seq, command: null, exchange: null, messages, selected: this.selected, lint };
  }

  private message(e: Extract<ImapscopeEvent, { type: 'message' }>): FilterSubject[] {
    const m = e.message;
    if (m.type === 'command') {
      const p: Pending = {
        tag: m.tag,
        subject: {
          seq: e.seq,
          command: m,
          exchange: null,
          messages: [m],
          selected: this.selected,
          lint: null,
        },
      };
      this.inFlight.push(p);
      this.byCommandSeq.set(e.seq, p);
      if (this.inFlight.length > FILTER_MAX_IN_FLIGHT) {
        const gone = this.inFlight.shift()!;
        this.byCommandSeq.delete(gone.subject.seq);
      }
      return [];
    }
    const out: FilterSubject[] = [];
    // As the timeline groups them: a completion by its tag, the rest to the newest command in
    // flight; the greeting and unsolicited responses are rows of their own (an unsolicited
    // response during IDLE belongs to both, as the exchange lists it).
    const owner =
      m.type === 'tagged'
        ? this.inFlight.findLast((x) => x.tag === m.tag)
        : this.inFlight[this.inFlight.length - 1];
    const own = m.type === 'greeting' || (m.type === 'untagged' && e.unsolicited);
    if (own || !owner) out.push(this.single(e.seq, [m], null));
    if (owner && m.type !== 'greeting') owner.subject.messages.push(m);
    return out;
  }
}

/**
 * The seqs of the rows matching the filter in one session's events (given in seq order):
 * exchanges by their command's seq, inline events by their own; sorted.
 */
export function matchingSeqs(events: Iterable<ImapscopeEvent>, filter: Filter): number[] {
  const scanner = new FilterScanner();
  const out: number[] = [];
  const take = (subjects: FilterSubject[]): void => {
    for (const s of subjects) if (filterMatches(filter, s)) out.push(s.seq);
  };
  for (const e of events) take(scanner.push(e));
  take(scanner.finish());
  return out.sort((a, b) => a - b);
}
