/**
 * What SQL can rule out before the display filter (shared/filter.ts) reads a session's events:
 * a *necessary* condition of a match, on the session row's counters and on the existence of
 * an event whose stored JSON says enough. A session failing it holds no match, so the archive
 * scan (filter.ts) never reads its events; one meeting it may still hold none (the scan
 * decides). Both archives compile the same condition, each in its dialect ({@link conditionSql}).
 *
 * Derived only where a match implies it, whatever the data (never a match left out):
 * - `status:NO`/`BAD` and `lint:` need a session whose counters count one (the counters are
 *   written with the events they count); `status:OK` needs an exchange, `status:aborted` an
 *   `exchange` event whose JSON holds `"status":"aborted"`;
 * - `cmd:X` needs a `message` event whose JSON holds `"name":"X"` (a command's name is
 *   upper-cased by the decoder and `cmd:` names are letters, digits and `._-`, which JSON
 *   writes as they are; a response code named X passes too, and the scan sorts it out);
 * - `latency` needs an `exchange` event whose latencyMs compares so (with a margin of one part
 *   in 10^9, so a JSON number read back one unit off cannot drop a match);
 * - AND needs every item's condition, OR one of them; NOT, and every other field (`text`,
 *   `mailbox`, `uid`, `tag`, `code`: case folding and sequence sets SQL cannot repeat
 *   exactly), need nothing.
 */
import type { CompareOp, Filter, FilterNode, FilterTerm } from '../../shared/filter.ts';

/** A condition on a session row `s` (and its events), as {@link sessionCondition} derives it. */
export type SessionCondition =
  | { type: 'and' | 'or'; items: SessionCondition[] }
  /** The session row's counter is above 0. */
  | { type: 'count'; column: 'nos' | 'bads' | 'lints' | 'exchanges' }
  /** An event of this type whose stored JSON contains one of these texts. */
  | { type: 'event-text'; event: 'message' | 'exchange'; texts: string[] }
  /** An exchange event whose latencyMs compares so with `ms` (`null` latencies never do). */
  | { type: 'latency'; op: CompareOp; ms: number };

function all(type: 'and' | 'or', items: SessionCondition[]): SessionCondition {
  return items.length === 1 ? items[0]! : { type, items };
}

function termCondition(t: FilterTerm): SessionCondition | null {
  switch (t.field) {
    case 'lint':
      return { type: 'count', column: 'lints' };
    case 'status':
      return all(
        'or',
        t.values.map((v): SessionCondition => {
          if (v === 'NO') return { type: 'count', column: 'nos' };
          if (v === 'BAD') return { type: 'count', column: 'bads' };
          if (v === 'OK') return { type: 'count', column: 'exchanges' };
          return { type: 'event-text', event: 'exchange', texts: ['"status":"aborted"'] };
        }),
      );
    case 'cmd':
      return {
        type: 'event-text',
        event: 'message',
        texts: [...new Set(t.names.map((n) => `"name":${JSON.stringify(n.name)}`))],
      };
    case 'latency':
      return { type: 'latency', op: t.op, ms: t.ms };
    default:
      return null;
  }
}

/** null: nothing to check (every session could match). */
function nodeCondition(n: FilterNode): SessionCondition | null {
  switch (n.type) {
    case 'and': {
      const items = n.items.map(nodeCondition).filter((c): c is SessionCondition => c !== null);
      return items.length === 0 ? null : all('and', items);
    }
    case 'or': {
      const items = n.items.map(nodeCondition);
      return items.some((c) => c === null) ? null : all('or', items as SessionCondition[]);
    }
    case 'not':
      return null;
    case 'term':
      return termCondition(n.term);
  }
}

/**
 * The necessary condition of a match of `filter` that SQL can check on a session, or null when
 * there is none (the empty filter, a negation, `text:`…): see the module comment for what is
 * derived and why it never leaves a match out.
 */
export function sessionCondition(filter: Filter): SessionCondition | null {
  return filter.root === null ? null : nodeCondition(filter.root);
}

/** The few places SQLite's and PostgreSQL's SQL differ for {@link conditionSql}. */
export interface ConditionDialect {
  /** A placeholder for `value`, which the caller binds. */
  param(value: string | number): string;
  /** Whether `haystack` contains `needle` (both SQL expressions), case-sensitively. */
  contains(haystack: string, needle: string): string;
  /** The latencyMs of the exchange event in `e.body`, as a number (NULL when null). */
  latencyMs: string;
}

/** Relative margin of a latency comparison: a number read back from JSON may be one unit off. */
const LATENCY_MARGIN = 1e-9;

/**
 * The condition as an SQL boolean expression on the session row `s` (`events e` for its
 * events, through their (session, seq) index). A latency test is widened by LATENCY_MARGIN.
 */
export function conditionSql(c: SessionCondition, d: ConditionDialect): string {
  switch (c.type) {
    case 'and':
    case 'or':
      return `(${c.items.map((x) => conditionSql(x, d)).join(c.type === 'and' ? ' AND ' : ' OR ')})`;
    case 'count':
      return `s.${c.column} > 0`;
    case 'event-text': {
      const any = c.texts.map((t) => d.contains('e.body', d.param(t))).join(' OR ');
      return `EXISTS (SELECT 1 FROM events e WHERE e.session = s.id AND e.type = '${c.event}' AND (${any}))`;
    }
    case 'latency': {
      const margin = Math.max(LATENCY_MARGIN, Math.abs(c.ms) * LATENCY_MARGIN);
      const test =
        c.op === '>' || c.op === '>='
          ? `${d.latencyMs} >= ${d.param(c.ms - margin)}`
          : `${d.latencyMs} <= ${d.param(c.ms + margin)}`;
      return `EXISTS (SELECT 1 FROM events e WHERE e.session = s.id AND e.type = 'exchange' AND ${test})`;
    }
  }
}
