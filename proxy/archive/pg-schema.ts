/**
 * The PostgreSQL archive's schema, as numbered migrations recorded in `schema_migrations`.
 * Every instance runs them at start under one advisory lock, so two instances starting at
 * once apply each migration exactly once (the second waits, then finds it applied). A database
 * with a migration newer than this imapscope knows is refused, like a newer SQLite archive.
 *
 * Raw bytes are rows (`raw_chunks.data bytea`), not files beside the database: a session that
 * instance B relayed must be exportable from instance A, on another machine.
 */
import type { Pool } from 'pg';
import { ArchiveVersionError } from './schema.ts';

/** pg_advisory_lock key of the migrations ('imapscop' as ASCII). */
const MIGRATION_LOCK = 0x696d617073636f70n;

/** Migrations in order; an entry's index + 1 is its version. Never edit one that shipped. */
export const PG_MIGRATIONS: readonly string[] = [
  // 1: the tables of schema.ts, with each session's instance and raw bytes as rows.
  `
  CREATE TABLE sessions(
    id text PRIMARY KEY,
    instance text NOT NULL DEFAULT '',
    started_at bigint NOT NULL,
    ended_at bigint,
    client text NOT NULL DEFAULT '',
    upstream text NOT NULL DEFAULT '',
    "user" text,
    state text,
    reason text,
    bytes_c2s bigint,
    bytes_s2c bigint,
    events bigint NOT NULL DEFAULT 0,
    dropped bigint NOT NULL DEFAULT 0,
    source text NOT NULL DEFAULT 'live',
    last_at bigint NOT NULL,
    exchanges bigint NOT NULL DEFAULT 0,
    nos bigint NOT NULL DEFAULT 0,
    bads bigint NOT NULL DEFAULT 0,
    lints bigint NOT NULL DEFAULT 0,
    gaps bigint NOT NULL DEFAULT 0,
    gap_bytes bigint NOT NULL DEFAULT 0,
    -- Event and raw bytes archived for the session: the size cap sums these.
    stored_bytes bigint NOT NULL DEFAULT 0
  );
  CREATE INDEX sessions_started ON sessions(started_at);
  CREATE INDEX sessions_live ON sessions(instance) WHERE ended_at IS NULL;
  CREATE TABLE events(
    session text NOT NULL,
    seq integer NOT NULL,
    instance text NOT NULL,
    gseq bigint NOT NULL,
    at bigint NOT NULL,
    type text NOT NULL,
    body text NOT NULL,
    PRIMARY KEY (session, seq)
  );
  CREATE INDEX events_instance_gseq ON events(instance, gseq) WHERE gseq > 0;
  CREATE TABLE raw_chunks(
    id bigserial PRIMARY KEY,
    session text NOT NULL,
    direction text NOT NULL,
    at bigint NOT NULL,
    data bytea NOT NULL
  );
  CREATE INDEX raw_chunks_session ON raw_chunks(session, id);
  CREATE TABLE actions(
    session text NOT NULL,
    seq integer NOT NULL,
    at bigint NOT NULL,
    "user" text,
    client text NOT NULL,
    kind text NOT NULL,
    status text NOT NULL,
    mailbox text,
    body text NOT NULL,
    PRIMARY KEY (session, seq)
  );
  CREATE INDEX actions_at ON actions(at);
  CREATE INDEX actions_user_at ON actions("user", at);
  CREATE INDEX actions_mailbox_at ON actions(mailbox, at);
  CREATE INDEX actions_kind_at ON actions(kind, at);
  CREATE TABLE imports(
    hash text PRIMARY KEY,
    session text NOT NULL,
    name text NOT NULL,
    at bigint NOT NULL
  );
  `,
  // 2: the instances writing into this database, so each can follow the others' events.
  `
  CREATE TABLE instances(
    name text PRIMARY KEY,
    started_at bigint NOT NULL,
    seen_at bigint NOT NULL
  );
  `,
  // 3: the client's ID (RFC 2971) name and version; the session list's exact user filter.
  `
  ALTER TABLE sessions ADD COLUMN client_name text;
  ALTER TABLE sessions ADD COLUMN client_version text;
  CREATE INDEX sessions_user ON sessions(lower("user"), started_at);
  `,
  // 4: the session list's text search (pg-search-text.ts): each session's searchable text,
  // decoded headers included, trigram-indexed where the server has pg_trgm (Debian's
  // postgresql package does; it is a trusted extension, so the database's owner may create
  // it). Sessions archived before keep what the search found in them then: their lines.
  `
  CREATE TABLE session_text(
    session text NOT NULL,
    text text NOT NULL
  );
  CREATE INDEX session_text_session ON session_text(session);
  INSERT INTO session_text(session, text)
    SELECT session, string_agg(body::jsonb #>> '{message,raw}', chr(10) ORDER BY seq)
    FROM events WHERE type IN ('message', 'malformed') GROUP BY session;
  DO $$
  BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
    CREATE INDEX session_text_trgm ON session_text USING gin (text gin_trgm_ops);
  EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'pg_trgm is not available (%): text search scans session_text', SQLERRM;
  END $$;
  `,
  // 5: which derivations each session has had (DERIVATION_VERSION, schema.ts): rows from before
  // get 0 and the backfill (pg-backfill.ts) derives their search text, audit actions and
  // counters from their events, replacing migration 4's lines.
  `
  ALTER TABLE sessions ADD COLUMN derived integer NOT NULL DEFAULT 0;
  CREATE INDEX sessions_derived ON sessions(derived, id);
  `,
];

/** Applies the migrations not yet applied; returns their versions. */
export async function migrate(pool: Pool, where: string): Promise<number[]> {
  const c = await pool.connect();
  try {
    await c.query(`SELECT pg_advisory_lock($1)`, [MIGRATION_LOCK.toString()]);
    try {
      await c.query(
        `CREATE TABLE IF NOT EXISTS schema_migrations(
           version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
      );
      const done = new Set(
        (await c.query<{ version: number }>(`SELECT version FROM schema_migrations`)).rows.map(
          (r) => r.version,
        ),
      );
      const newest = Math.max(0, ...done);
      if (newest > PG_MIGRATIONS.length) {
        throw new ArchiveVersionError(
          `${where}: archive schema ${newest} is newer than this imapscope (${PG_MIGRATIONS.length})`,
        );
      }
      const applied: number[] = [];
      for (const [i, sql] of PG_MIGRATIONS.entries()) {
        const version = i + 1;
        if (done.has(version)) continue;
        await c.query('BEGIN');
        try {
          await c.query(sql);
          await c.query(`INSERT INTO schema_migrations(version) VALUES ($1)`, [version]);
          await c.query('COMMIT');
        } catch (err) {
          await c.query('ROLLBACK');
          throw err;
        }
        applied.push(version);
      }
      return applied;
    } finally {
      await c.query(`SELECT pg_advisory_unlock($1)`, [MIGRATION_LOCK.toString()]);
    }
  } finally {
    c.release();
  }
}
