import Database from 'better-sqlite3';
import type { Database as Db } from 'better-sqlite3';

/** Bumped when the tables change in a way an older imapscope cannot read. */
export const ARCHIVE_SCHEMA_VERSION = 1;

/** The archive's file name inside the data directory. */
export const ARCHIVE_FILE = 'archive.sqlite';

/**
 * What a session's `derived` column holds once its search text, audit actions and row
 * counters have been derived from its events by this imapscope (live, or by the backfill:
 * backfill.ts). Sessions below it (0: archived by an imapscope from before these existed) are
 * derived again from their events. Bump it when search-text.ts, session/audit.ts or the
 * session-row reducer start deriving something new that old sessions should have too.
 */
export const DERIVATION_VERSION = 1;

const DDL = `
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sessions(
  id TEXT PRIMARY KEY,
  started_at INTEGER NOT NULL,
  ended_at INTEGER,
  client TEXT NOT NULL DEFAULT '',
  upstream TEXT NOT NULL DEFAULT '',
  user TEXT,
  state TEXT,
  reason TEXT,
  bytes_c2s INTEGER,
  bytes_s2c INTEGER,
  events INTEGER NOT NULL DEFAULT 0,
  dropped INTEGER NOT NULL DEFAULT 0,
  source TEXT NOT NULL DEFAULT 'live',
  last_at INTEGER NOT NULL,
  exchanges INTEGER NOT NULL DEFAULT 0,
  nos INTEGER NOT NULL DEFAULT 0,
  bads INTEGER NOT NULL DEFAULT 0,
  lints INTEGER NOT NULL DEFAULT 0,
  gaps INTEGER NOT NULL DEFAULT 0,
  gap_bytes INTEGER NOT NULL DEFAULT 0,
  instance TEXT NOT NULL DEFAULT '',
  derived INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS sessions_started ON sessions(started_at);
CREATE TABLE IF NOT EXISTS events(
  id INTEGER PRIMARY KEY,
  session TEXT NOT NULL,
  seq INTEGER NOT NULL,
  gseq INTEGER NOT NULL,
  at INTEGER NOT NULL,
  type TEXT NOT NULL,
  body TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS events_session_seq ON events(session, seq);
CREATE INDEX IF NOT EXISTS events_gseq ON events(gseq) WHERE gseq > 0;
CREATE TABLE IF NOT EXISTS chunks(
  id INTEGER PRIMARY KEY,
  session TEXT NOT NULL,
  direction TEXT NOT NULL,
  at INTEGER NOT NULL,
  data BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_session ON chunks(session, id);
CREATE TABLE IF NOT EXISTS raw_spans(
  id INTEGER PRIMARY KEY,
  session TEXT NOT NULL,
  direction TEXT NOT NULL,
  at INTEGER NOT NULL,
  offset INTEGER NOT NULL,
  length INTEGER NOT NULL,
  segment INTEGER
);
CREATE INDEX IF NOT EXISTS raw_spans_session ON raw_spans(session, id);
-- The audit trail (actions.ts): one row per action derived from a session's events.
CREATE TABLE IF NOT EXISTS actions(
  id INTEGER PRIMARY KEY,
  session TEXT NOT NULL,
  seq INTEGER NOT NULL,
  at INTEGER NOT NULL,
  user TEXT,
  client TEXT NOT NULL,
  kind TEXT NOT NULL,
  status TEXT NOT NULL,
  mailbox TEXT,
  body TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS actions_session_seq ON actions(session, seq);
CREATE INDEX IF NOT EXISTS actions_at ON actions(at);
CREATE INDEX IF NOT EXISTS actions_user_at ON actions(user, at);
CREATE INDEX IF NOT EXISTS actions_mailbox_at ON actions(mailbox, at);
CREATE INDEX IF NOT EXISTS actions_kind_at ON actions(kind, at);
-- The session list's search (search-text.ts): per session and flush, the searchable text of
-- its events in a trigram index (case-insensitive substrings of 3+ characters). Contentless:
-- the text itself is not stored twice; search_rows maps each row back to its session.
CREATE TABLE IF NOT EXISTS search_rows(id INTEGER PRIMARY KEY, session TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS search_rows_session ON search_rows(session);
CREATE VIRTUAL TABLE IF NOT EXISTS session_text USING fts5(
  text, content='', contentless_delete=1, tokenize='trigram'
);
`;

/** Thrown when the archive was written by a newer imapscope. */
export class ArchiveVersionError extends Error {
  readonly code = 'ERR_ARCHIVE_VERSION';
}

/**
 * Opens (creating if needed) the archive database: WAL journal (readers never block the
 * writer, and a killed process leaves every committed transaction intact), synchronous=NORMAL
 * (a commit is durable against a process crash; only a power cut can lose the last few),
 * incremental auto-vacuum so retention can give space back.
 */
export function openArchiveDb(file: string, opts: { readonly?: boolean } = {}): Db {
  const db = new Database(file, {
    readonly: opts.readonly ?? false,
    fileMustExist: opts.readonly ?? false,
  });
  db.pragma('busy_timeout = 5000');
  if (opts.readonly) return db;
  // auto_vacuum only takes effect before the first table exists.
  db.pragma('auto_vacuum = INCREMENTAL');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(DDL);
  // Columns added after the first archives were written: add them where they are missing.
  const columns = new Set(
    (db.prepare(`PRAGMA table_info(sessions)`).all() as { name: string }[]).map((c) => c.name),
  );
  for (const c of ['exchanges', 'nos', 'bads', 'lints', 'gaps', 'gap_bytes']) {
    if (!columns.has(c)) db.exec(`ALTER TABLE sessions ADD COLUMN ${c} INTEGER NOT NULL DEFAULT 0`);
  }
  if (!columns.has('instance'))
    db.exec(`ALTER TABLE sessions ADD COLUMN instance TEXT NOT NULL DEFAULT ''`);
  // The client's ID (RFC 2971) name and version, when it sent them.
  for (const c of ['client_name', 'client_version']) {
    if (!columns.has(c)) db.exec(`ALTER TABLE sessions ADD COLUMN ${c} TEXT`);
  }
  // Which derivations a session has had (DERIVATION_VERSION): rows written before the column
  // existed get 0, so the backfill finds them through the index below, and only them.
  if (!columns.has('derived'))
    db.exec(`ALTER TABLE sessions ADD COLUMN derived INTEGER NOT NULL DEFAULT 0`);
  db.exec(`CREATE INDEX IF NOT EXISTS sessions_derived ON sessions(derived, id)`);
  // The session list's user filter (read.ts): one user's sessions without reading every row.
  db.exec(`CREATE INDEX IF NOT EXISTS sessions_user ON sessions(lower(user), started_at)`);
  // The session list's pages in start order (read.ts querySessions): the ids of a page, however
  // deep, from the index alone (at 100,000 sessions an offset of 99,950 read every row: seconds).
  db.exec(`CREATE INDEX IF NOT EXISTS sessions_started_id ON sessions(started_at, id)`);
  // raw_spans.segment: NULL in archives from before segment files (one file per session).
  const spanColumns = new Set(
    (db.prepare(`PRAGMA table_info(raw_spans)`).all() as { name: string }[]).map((c) => c.name),
  );
  if (!spanColumns.has('segment')) db.exec(`ALTER TABLE raw_spans ADD COLUMN segment INTEGER`);
  db.exec(`CREATE INDEX IF NOT EXISTS raw_spans_segment ON raw_spans(segment)`);
  const row = db.prepare(`SELECT value FROM meta WHERE key = 'schema'`).get() as
    { value: string } | undefined;
  if (row === undefined) {
    db.prepare(`INSERT INTO meta(key, value) VALUES ('schema', ?)`).run(
      String(ARCHIVE_SCHEMA_VERSION),
    );
  } else if (Number(row.value) > ARCHIVE_SCHEMA_VERSION) {
    db.close();
    throw new ArchiveVersionError(
      `${file}: archive schema ${row.value} is newer than this imapscope (${ARCHIVE_SCHEMA_VERSION})`,
    );
  }
  return db;
}
