/**
 * The backfill of the SQLite archive (backfill.ts drives it): sessions an earlier imapscope
 * archived, before the search text, the audit trail or the session row's newer counters
 * existed, get them derived from their archived events by the live path's own code
 * (session-patch.ts, actions.ts).
 *
 * Sessions go newest first (highest id: ids sort by start time), so what people look at first
 * is searchable first. Each batch is one transaction of at most `maxEvents` events, run
 * synchronously on the archive's own connection between its flushes (one writer, so the two
 * never wait on each other's locks). A session longer than a batch is carried over to the next
 * one in memory (its audit trail and row so far); the session's `derived` column is set only
 * when its last event has been read, in the same transaction as the rest of it. So a kill at
 * any point leaves each session either derived or not: the next open starts an unfinished one
 * over, first deleting what the killed run had written of it.
 */
import type { Database as Db, Statement } from 'better-sqlite3';
import { ActionRecorder } from './actions.ts';
import type { BackfillBatch } from './backfill.ts';
import { sessionEvents } from './read.ts';
import { DERIVATION_VERSION } from './schema.ts';
import {
  foldEvent,
  newSessionPatch,
  SearchTextWriter,
  type SessionPatch,
} from './session-patch.ts';

/**
 * How many sessions the backfill has yet to derive, on any connection (read-only included):
 * an archive no imapscope with the backfill has opened yet has no `derived` column, and then
 * every ended session awaits it.
 */
export function underivedSessions(db: Db): number {
  const columns = db.prepare(`PRAGMA table_info(sessions)`).all() as { name: string }[];
  const derived = columns.some((c) => c.name === 'derived');
  const where = derived ? `derived < ${DERIVATION_VERSION} AND ` : '';
  return Number(
    db.prepare(`SELECT count(*) FROM sessions WHERE ${where}ended_at IS NOT NULL`).pluck().get(),
  );
}

/** The session being derived across batches. */
interface Current {
  id: string;
  patch: SessionPatch;
  /** The last seq read: the next batch goes on after it. */
  lastSeq: number;
}

export class SqliteBackfill {
  private readonly actions: ActionRecorder;
  private readonly searchText: SearchTextWriter;
  private current: Current | null = null;
  private readonly next: Statement;
  private readonly clear: Statement[];
  private readonly finish: Statement;
  private readonly txn: (maxEvents: number) => BackfillBatch;

  constructor(private readonly db: Db) {
    this.actions = new ActionRecorder(db);
    this.searchText = new SearchTextWriter(db);
    // Only ended sessions: a live one is still being written (and is derived as it is).
    const underived = `derived < ${DERIVATION_VERSION} AND ended_at IS NOT NULL`;
    this.next = db.prepare(
      `SELECT id, started_at AS startedAt FROM sessions WHERE ${underived}
       ORDER BY derived DESC, id DESC LIMIT 1`,
    );
    // What an earlier derivation (or a killed backfill) left of the session.
    this.clear = [
      db.prepare(`DELETE FROM actions WHERE session = ?`),
      db.prepare(
        `DELETE FROM session_text WHERE rowid IN (SELECT id FROM search_rows WHERE session = ?)`,
      ),
      db.prepare(`DELETE FROM search_rows WHERE session = ?`),
    ];
    // The row as the live flushes would have left it: the derived counters set (not added to:
    // they are the whole session's), a field the events say nothing of keeps its stored value
    // (an `interrupted` or `imported` end); `events` and `dropped` were always counted.
    this.finish = db.prepare(
      `UPDATE sessions SET last_at = max(last_at, ?), user = coalesce(?, user),
         state = coalesce(?, state), ended_at = coalesce(?, ended_at),
         reason = coalesce(?, reason), bytes_c2s = coalesce(?, bytes_c2s),
         bytes_s2c = coalesce(?, bytes_s2c), exchanges = ?, nos = ?, bads = ?, lints = ?,
         gaps = ?, gap_bytes = ?, client_name = coalesce(?, client_name),
         client_version = coalesce(?, client_version), derived = ${DERIVATION_VERSION}
       WHERE id = ?`,
    );
    this.txn = db.transaction((maxEvents: number) => this.run(maxEvents));
  }

  /**
   * Derives up to `maxEvents` events' worth of underived sessions in one transaction; returns
   * how many sessions it finished and how many events it read (both 0: none left). Throws what
   * the transaction throws (a full disk): the session in progress then starts over next time.
   */
  batch(maxEvents: number): BackfillBatch {
    try {
      return this.txn(maxEvents);
    } catch (err) {
      // Rolled back: what this session had in memory no longer matches what is stored.
      if (this.current) this.actions.forget(this.current.id);
      this.current = null;
      throw err;
    }
  }

  private run(maxEvents: number): BackfillBatch {
    let sessions = 0;
    let events = 0;
    while (events < maxEvents) {
      let c = this.current;
      if (!c) {
        const row = this.next.get() as { id: string; startedAt: number } | undefined;
        if (!row) break;
        for (const s of this.clear) s.run(row.id);
        c = this.current = {
          id: row.id,
          patch: newSessionPatch(row.id, row.startedAt),
          lastSeq: -1,
        };
      }
      const want = maxEvents - events;
      const page = sessionEvents(this.db, c.id, c.lastSeq, want);
      events += page.length;
      for (const e of page) foldEvent(c.patch, e);
      this.actions.record(page);
      // One searchable row per page, as the live archive writes one per flush.
      this.searchText.write(c.id, c.patch.text);
      c.patch.text.clear();
      if (page.length === want) {
        c.lastSeq = page[page.length - 1]!.seq;
        continue;
      }
      // The session's last event was read (or it was pruned meanwhile: then no row changes).
      const r = c.patch.row;
      this.finish.run(
        c.patch.lastAt,
        r.user,
        r.state,
        r.endedAt,
        r.reason,
        r.bytesC2s,
        r.bytesS2c,
        r.exchangeCount,
        r.noCount,
        r.badCount,
        r.lintCount,
        r.gapCount,
        r.gapBytes,
        r.clientName,
        r.clientVersion,
        c.id,
      );
      this.actions.forget(c.id);
      this.current = null;
      sessions += 1;
    }
    return { sessions, events };
  }
}
