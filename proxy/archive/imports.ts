/**
 * The archive's import ledger (SQLite): a content hash per import, so importing the same file
 * again is refused (see proxy/import/ledger.ts). A row whose session retention has deleted
 * since no longer counts.
 */
import type { Database as Db } from 'better-sqlite3';

const DDL = `CREATE TABLE IF NOT EXISTS imports(
  hash TEXT PRIMARY KEY,
  session TEXT NOT NULL,
  name TEXT NOT NULL,
  at INTEGER NOT NULL
)`;

/** The session an earlier import of this content made, if it is still in the archive. */
export function earlierImport(db: Db, hash: string): { session: string; name: string } | null {
  db.exec(DDL);
  const row = db
    .prepare(
      `SELECT i.session, i.name, s.id AS alive FROM imports i
       LEFT JOIN sessions s ON s.id = i.session WHERE i.hash = ?`,
    )
    .get(hash) as { session: string; name: string; alive: string | null } | undefined;
  if (!row) return null;
  if (row.alive === null) {
    db.prepare(`DELETE FROM imports WHERE hash = ?`).run(hash);
    return null;
  }
  return { session: row.session, name: row.name };
}

export function recordImport(db: Db, hash: string, session: string, name: string): void {
  db.exec(DDL);
  db.prepare(`INSERT OR REPLACE INTO imports(hash, session, name, at) VALUES (?, ?, ?, ?)`).run(
    hash,
    session,
    name,
    Date.now(),
  );
}
