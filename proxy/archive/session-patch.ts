/**
 * What the SQLite archive derives from a run of one session's events, in one place for its two
 * writers: a flush of live events (archive.ts) and the backfill of sessions an earlier
 * imapscope archived (sqlite-backfill.ts). Both fold events with the shared session-row
 * reducer and take their searchable text from search-text.ts, so a backfilled session answers
 * the list, its search and its counters as one written live does.
 */
import type { Database as Db, Statement } from 'better-sqlite3';
import type { ImapscopeEvent } from '../../shared/events.ts';
import type { SessionRow } from '../../shared/protocol.ts';
import { applySessionEvent, newSessionRow } from '../../shared/session-row.ts';
import { addSearchLines } from './search-text.ts';

/**
 * What a run of events adds to one session's stored row: a delta row folded by the shared
 * reducer (counts to add; fields that are null leave the stored value), and the latest event
 * time.
 */
export interface SessionPatch {
  row: SessionRow;
  lastAt: number;
  /** The searchable text of the run's events (search-text.ts), each distinct line once. */
  text: Set<string>;
}

/** A patch that has seen no event (the reducer's zero delta). */
export function newSessionPatch(session: string, at: number): SessionPatch {
  return { row: newSessionRow(session, at), lastAt: at, text: new Set() };
}

/** Folds one event into its session's patch: the row, the latest time, the searchable text. */
export function foldEvent(p: SessionPatch, e: ImapscopeEvent): void {
  p.lastAt = Math.max(p.lastAt, e.at);
  applySessionEvent(p.row, e);
  // Line by line: header fields (From, To, List-Id…) repeat across a session's messages,
  // and the trigram index's share of a flush grows with every character it is given.
  addSearchLines(e, p.text);
}

/**
 * The statements that store a patch's searchable text: one `search_rows` row mapping one
 * `session_text` (FTS5 trigram) row back to its session (schema.ts).
 */
export class SearchTextWriter {
  private readonly insertRow: Statement;
  private readonly insertText: Statement;

  constructor(db: Db) {
    this.insertRow = db.prepare(`INSERT INTO search_rows(session) VALUES (?)`);
    this.insertText = db.prepare(`INSERT INTO session_text(rowid, text) VALUES (?, ?)`);
  }

  /** Stores the lines as one searchable row of the session (nothing when there are none). */
  write(session: string, lines: ReadonlySet<string>): void {
    if (lines.size === 0) return;
    const row = this.insertRow.run(session).lastInsertRowid;
    this.insertText.run(row, [...lines].join('\n'));
  }
}
