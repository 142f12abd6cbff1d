/**
 * The display filter language (docs/filter.md), in the spirit of Wireshark's display filters:
 *
 *     cmd:FETCH status:NO latency>100ms mailbox:INBOX uid:4711 text:"Subject: invoice"
 *
 * Terms side by side are ANDed; `OR` (or `|`) between them ORs, binding looser than AND;
 * `-`, `!` or `NOT` before a term negates it; parentheses group. A bare word or quoted string
 * is a `text:` term. Field names, keywords and values are case-insensitive.
 *
 * {@link parseFilter} is pure and never throws: a mistake is a {@link FilterError} value that
 * names the offending span (`start`..`end`, 0-based offsets into the text) so the viewer can
 * underline it and the CLI can point at it. Matching lives in filter-match.ts.
 */
import type { ExchangeStatus } from './events.ts';

/** Every field, in the order the error messages and docs list them. */
export const FILTER_FIELDS = [
  'cmd',
  'status',
  'latency',
  'mailbox',
  'uid',
  'text',
  'tag',
  'code',
  'lint',
] as const;

export type FilterField = (typeof FILTER_FIELDS)[number];

const ALIASES: Record<string, FilterField> = { command: 'cmd', mbox: 'mailbox' };

export type CompareOp = '<' | '<=' | '>' | '>=';

export type FilterTerm =
  /** Command names, upper-case; `uid` true for `UID FETCH` (FETCH alone matches both). */
  | { field: 'cmd'; names: { name: string; uid: boolean }[] }
  | { field: 'status'; values: ExchangeStatus[] }
  | { field: 'latency'; op: CompareOp; ms: number }
  /** Lower-case. */
  | { field: 'mailbox'; name: string }
  /** Inclusive ranges of UIDs. */
  | { field: 'uid'; ranges: [number, number][] }
  /** Lower-case; matched as a substring. */
  | { field: 'text'; text: string }
  | { field: 'tag'; tag: string }
  /** Response code names, upper-case (TRYCREATE, ALREADYEXISTS…). */
  | { field: 'code'; names: string[] }
  /** Lower-case substring of a lint's code or title. */
  | { field: 'lint'; text: string };

export type FilterNode =
  | { type: 'and'; items: FilterNode[] }
  | { type: 'or'; items: FilterNode[] }
  | { type: 'not'; item: FilterNode }
  | { type: 'term'; term: FilterTerm };

export type FilterErrorCode =
  | 'ERR_FILTER_UNKNOWN_FIELD'
  | 'ERR_FILTER_BAD_VALUE'
  | 'ERR_FILTER_OPERATOR'
  | 'ERR_FILTER_SYNTAX'
  | 'ERR_FILTER_UNTERMINATED_QUOTE';

/** A mistake in a filter: what, and where (`start` inclusive, `end` exclusive, in UTF-16 units). */
export interface FilterError {
  code: FilterErrorCode;
  message: string;
  start: number;
  end: number;
}

/** A parsed filter. `root` is null for an empty filter, which matches everything. */
export interface Filter {
  text: string;
  root: FilterNode | null;
}

export type FilterParse = { ok: true; filter: Filter } | { ok: false; error: FilterError };

/** The statuses an exchange ends with, as `status:` accepts them. */
const STATUSES: readonly ExchangeStatus[] = ['OK', 'NO', 'BAD', 'aborted'];

type Token =
  | { kind: 'open' | 'close' | 'not' | 'or' | 'and'; start: number; end: number }
  | {
      kind: 'term';
      start: number;
      end: number;
      /** null for a bare word or quoted string (a text term). */
      field: { name: string; start: number; end: number } | null;
      op: ':' | '=' | '!=' | CompareOp | null;
      value: string;
      valueStart: number;
      valueEnd: number;
    };

class Fail {
  constructor(readonly error: FilterError) {}
}

function fail(code: FilterErrorCode, message: string, start: number, end: number): never {
  throw new Fail({ code, message, start, end: Math.max(end, start + 1) });
}

const FIELD_LIST = FILTER_FIELDS.join(', ');
const isSpace = (c: string | undefined): boolean =>
  c === ' ' || c === '\t' || c === '\n' || c === '\r';
/** Ends a bare word or value. */
const isStop = (c: string | undefined): boolean =>
  c === undefined || isSpace(c) || c === '(' || c === ')';

/** Reads a quoted string at `i` (on the `"`); `\"` and `\\` escape. */
function quoted(s: string, i: number): { value: string; end: number } {
  let value = '';
  for (let j = i + 1; j < s.length; j++) {
    const c = s[j]!;
    if (c === '\\' && j + 1 < s.length) {
      value += s[++j]!;
      continue;
    }
    if (c === '"') return { value, end: j + 1 };
    value += c;
  }
  fail('ERR_FILTER_UNTERMINATED_QUOTE', 'a quoted string has no closing "', i, s.length);
}

function tokenize(s: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (isSpace(c)) {
      i++;
      continue;
    }
    if (c === '(' || c === ')') {
      out.push({ kind: c === '(' ? 'open' : 'close', start: i, end: i + 1 });
      i++;
      continue;
    }
    if (c === '|') {
      const end = s[i + 1] === '|' ? i + 2 : i + 1;
      out.push({ kind: 'or', start: i, end });
      i = end;
      continue;
    }
    if (c === '&' && s[i + 1] === '&') {
      out.push({ kind: 'and', start: i, end: i + 2 });
      i += 2;
      continue;
    }
    if (c === '-' || c === '!') {
      out.push({ kind: 'not', start: i, end: i + 1 });
      i++;
      continue;
    }
    if (c === '"') {
      const q = quoted(s, i);
      out.push({
        kind: 'term',
        start: i,
        end: q.end,
        field: null,
        op: null,
        value: q.value,
        valueStart: i,
        valueEnd: q.end,
      });
      i = q.end;
      continue;
    }
    const name = /^[A-Za-z_][A-Za-z0-9_.-]*/.exec(s.slice(i))?.[0] ?? '';
    const after = i + name.length;
    const op = name ? /^(!=|>=|<=|[:=<>])/.exec(s.slice(after))?.[0] : undefined;
    if (name && op) {
      const vStart = after + op.length;
      // A value runs to a space or parenthesis; quoted parts in it may hold either.
      let value = '';
      let vEnd = vStart;
      while (!isStop(s[vEnd])) {
        if (s[vEnd] === '"') {
          const q = quoted(s, vEnd);
          value += q.value;
          vEnd = q.end;
        } else value += s[vEnd++];
      }
      out.push({
        kind: 'term',
        start: i,
        end: vEnd,
        field: { name, start: i, end: after },
        op: op as Extract<Token, { kind: 'term' }>['op'],
        value,
        valueStart: vStart,
        valueEnd: vEnd,
      });
      i = vEnd;
      continue;
    }
    let end = i;
    while (!isStop(s[end]) && s[end] !== '"') end++;
    const word = s.slice(i, end);
    const keyword = word.toUpperCase();
    if (keyword === 'OR' || keyword === 'AND' || keyword === 'NOT') {
      out.push({
        kind: keyword === 'OR' ? 'or' : keyword === 'AND' ? 'and' : 'not',
        start: i,
        end,
      });
    } else {
      out.push({
        kind: 'term',
        start: i,
        end,
        field: null,
        op: null,
        value: word,
        valueStart: i,
        valueEnd: end,
      });
    }
    i = end;
  }
  return out;
}

/** `100ms`, `1.5s`, `250` (ms), `800us`: milliseconds, or null. */
export function parseDuration(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?|\.\d+)(us|µs|ms|s)?$/i.exec(text);
  if (!m) return null;
  const n = Number(m[1]);
  const unit = (m[2] ?? 'ms').toLowerCase();
  return unit === 's' ? n * 1000 : unit === 'ms' ? n : n / 1000;
}

/** An IMAP-style set of UIDs without `*` (`4711`, `1:100`, `1,5,9:12`): inclusive ranges, or null. */
export function parseUidSet(text: string): [number, number][] | null {
  const out: [number, number][] = [];
  for (const part of text.split(',')) {
    const m = /^(\d{1,10})(?::(\d{1,10}))?$/.exec(part);
    if (!m) return null;
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (a < 1 || b < 1 || a > 4294967295 || b > 4294967295) return null;
    out.push([Math.min(a, b), Math.max(a, b)]);
  }
  return out;
}

type TermToken = Extract<Token, { kind: 'term' }>;

/** A term token made into a node (a `!=` term becomes a negation). */
function term(t: TermToken): FilterNode {
  if (t.field === null) {
    return { type: 'term', term: { field: 'text', text: t.value.toLowerCase() } };
  }
  const given = t.field.name.toLowerCase();
  const field = (FILTER_FIELDS as readonly string[]).includes(given)
    ? (given as FilterField)
    : ALIASES[given];
  if (field === undefined) {
    fail(
      'ERR_FILTER_UNKNOWN_FIELD',
      `unknown field "${t.field.name}": use one of ${FIELD_LIST}` +
        ` (quote text that contains a colon: "${t.field.name}${t.op ?? ''}${t.value}")`,
      t.field.start,
      t.field.end,
    );
  }
  const op = t.op!;
  const opStart = t.field.end;
  const opEnd = t.valueStart;
  const value = t.value;
  const bad = (message: string): never =>
    fail('ERR_FILTER_BAD_VALUE', message, t.valueStart, t.valueEnd);
  if (value === '') bad(`${field}: needs a value after "${op}"`);
  const compares = op === '<' || op === '<=' || op === '>' || op === '>=';
  if (field === 'latency') {
    if (!compares) {
      fail(
        'ERR_FILTER_OPERATOR',
        'latency compares with >, >=, < or <= (latency>100ms)',
        opStart,
        opEnd,
      );
    }
    const ms = parseDuration(value);
    if (ms === null)
      return bad(`latency: "${value}" is not a duration; use a number with ms or s (100ms, 1.5s)`);
    return { type: 'term', term: { field, op, ms } };
  }
  if (compares) {
    fail(
      'ERR_FILTER_OPERATOR',
      `${field} takes ":" (${field}:…); only latency compares with >, >=, < or <=`,
      opStart,
      opEnd,
    );
  }
  const node = ((): FilterNode => {
    switch (field) {
      case 'cmd': {
        const names = value.split(',').map((v) => {
          const m = /^(UID[ _.]?)?([A-Za-z][A-Za-z0-9._-]*)$/i.exec(v.trim());
          if (!m) return bad(`cmd: "${v}" is not a command name (cmd:FETCH, cmd:"UID MOVE")`);
          return { name: m[2]!.toUpperCase(), uid: m[1] !== undefined };
        });
        return { type: 'term', term: { field, names } };
      }
      case 'status': {
        const values = value.split(',').map((v) => {
          const s = STATUSES.find((x) => x.toLowerCase() === v.trim().toLowerCase());
          return s ?? bad(`status: "${v}" is none of OK, NO, BAD, aborted`);
        });
        return { type: 'term', term: { field, values } };
      }
      case 'uid': {
        const ranges = parseUidSet(value);
        if (ranges === null)
          return bad(`uid: "${value}" is not a UID or set of UIDs (4711, 1:100, 3,5,9)`);
        return { type: 'term', term: { field, ranges } };
      }
      case 'code': {
        const names = value.split(',').map((v) => v.trim().toUpperCase());
        if (names.some((n) => !/^[A-Z0-9._-]+$/.test(n))) {
          bad(`code: "${value}" is not a response code name (code:TRYCREATE)`);
        }
        return { type: 'term', term: { field, names } };
      }
      case 'mailbox':
        return { type: 'term', term: { field, name: value.toLowerCase() } };
      case 'text':
        return { type: 'term', term: { field, text: value.toLowerCase() } };
      case 'tag':
        return { type: 'term', term: { field, tag: value.toLowerCase() } };
      case 'lint':
        return { type: 'term', term: { field, text: value.toLowerCase() } };
    }
  })();
  return op === '!=' ? { type: 'not', item: node } : node;
}

class Parser {
  private i = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly text: string,
  ) {}

  parse(): FilterNode | null {
    if (this.tokens.length === 0) return null;
    const node = this.or();
    const t = this.tokens[this.i];
    if (t) {
      fail(
        'ERR_FILTER_SYNTAX',
        t.kind === 'close' ? 'a ")" with no "(" before it' : 'unexpected text',
        t.start,
        t.end,
      );
    }
    return node;
  }

  private or(): FilterNode {
    const items = [this.and()];
    while (this.tokens[this.i]?.kind === 'or') {
      this.i++;
      items.push(this.and());
    }
    return items.length === 1 ? items[0]! : { type: 'or', items };
  }

  private and(): FilterNode {
    const items = [this.unary()];
    for (;;) {
      const t = this.tokens[this.i];
      if (!t || t.kind === 'or' || t.kind === 'close') break;
      if (t.kind === 'and') this.i++;
      items.push(this.unary());
    }
    return items.length === 1 ? items[0]! : { type: 'and', items };
  }

  private unary(): FilterNode {
    const t = this.tokens[this.i];
    const before = this.tokens[this.i - 1];
    if (!t) {
      const at = before ? before.start : this.text.length;
      fail(
        'ERR_FILTER_SYNTAX',
        `"${before ? this.text.slice(before.start, before.end) : ''}" needs a term after it`,
        at,
        before ? before.end : at + 1,
      );
    }
    this.i++;
    switch (t.kind) {
      case 'term':
        return term(t);
      case 'not':
        return { type: 'not', item: this.unary() };
      case 'open': {
        if (this.tokens[this.i]?.kind === 'close')
          fail('ERR_FILTER_SYNTAX', 'empty ( )', t.start, this.tokens[this.i]!.end);
        const node = this.or();
        if (this.tokens[this.i]?.kind !== 'close') {
          fail('ERR_FILTER_SYNTAX', 'this "(" is never closed', t.start, t.end);
        }
        this.i++;
        return node;
      }
      case 'close':
        return fail('ERR_FILTER_SYNTAX', 'a ")" with no "(" before it', t.start, t.end);
      case 'or':
      case 'and':
        return fail(
          'ERR_FILTER_SYNTAX',
          `"${this.text.slice(t.start, t.end)}" needs a term on each side`,
          t.start,
          t.end,
        );
    }
  }
}

/**
 * Parses a display filter. Never throws: a mistake comes back as `{ ok: false, error }` with
 * the span it is about. Whitespace alone is the empty filter (root null, matches everything).
 */
export function parseFilter(text: string): FilterParse {
  try {
    const root = new Parser(tokenize(text), text).parse();
    return { ok: true, filter: { text, root } };
  } catch (err) {
    if (err instanceof Fail) return { ok: false, error: err.error };
    throw err;
  }
}

/**
 * An error as two or three lines for a terminal: the message, the filter, and a caret line
 * under the offending span.
 */
export function describeFilterError(text: string, error: FilterError): string {
  const width = Math.max(1, Math.min(error.end, text.length + 1) - error.start);
  return `${error.message}\n  ${text}\n  ${' '.repeat(error.start)}${'^'.repeat(width)}`;
}
