/**
 * The session list's `text=` search on PostgreSQL: what search-text.ts takes from each event
 * (relayed lines, decoded mailbox names, the decoded header fields of literal previews, lint
 * codes, end reasons), one `session_text` row per session per flush, as SQLite's FTS5 table
 * holds it. Migration 4 (pg-schema.ts) indexes the rows with pg_trgm where the server has it,
 * so a search of 3 characters or more is an index lookup; without it, a scan of these rows
 * (still far smaller than the events).
 */
import type { PoolClient } from 'pg';
import type { ImapscopeEvent } from '../../shared/events.ts';
import { addSearchLines } from './search-text.ts';

/** Shorter searches than this match the session's columns only (trigrams need 3 characters). */
export const PG_TRIGRAM = 3;

/** A flush's searchable text: per session, each distinct line once, joined by newlines. */
export function searchTextRows(events: readonly ImapscopeEvent[]): {
  sessions: string[];
  texts: string[];
} {
  // Line by line, as the SQLite archive keeps it (session-patch.ts): a line repeated across
  // the flush's events (header fields, FLAGS lines) is indexed once.
  const bySession = new Map<string, Set<string>>();
  for (const e of events) {
    let set = bySession.get(e.session);
    if (!set) bySession.set(e.session, (set = new Set()));
    addSearchLines(e, set);
  }
  const sessions: string[] = [];
  const texts: string[] = [];
  for (const [session, lines] of bySession) {
    if (lines.size === 0) continue;
    sessions.push(session);
    texts.push([...lines].join('\n'));
  }
  return { sessions, texts };
}

/** Inserts a flush's searchable text, in the flush's transaction (one statement). */
export async function insertSearchText(
  c: PoolClient,
  events: readonly ImapscopeEvent[],
): Promise<void> {
  const rows = searchTextRows(events);
  if (rows.sessions.length === 0) return;
  await c.query(
    `INSERT INTO session_text(session, text) SELECT * FROM unnest($1::text[], $2::text[])`,
    [rows.sessions, rows.texts],
  );
}

/**
 * The SQL condition of `text`: a case-insensitive substring of the session's own columns, or,
 * from PG_TRIGRAM characters on, of its searchable text. `p` adds a parameter, returns `$n`.
 */
export function textCondition(text: string, p: (v: unknown) => string): string {
  const columns = `strpos(lower(id || ' ' || client || ' ' || coalesce("user", '') || ' ' ||
      upstream || ' ' || coalesce(client_name, '') || ' ' || coalesce(reason, '')),
      lower(${p(text)})) > 0`;
  if ([...text].length < PG_TRIGRAM) return `(${columns})`;
  const pattern = `%${text.replace(/[\\%_]/g, '\\$&')}%`;
  return `(${columns} OR id IN (SELECT session FROM session_text WHERE text ILIKE ${p(pattern)}))`;
}
