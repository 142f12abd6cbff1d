/**
 * The backfill of the PostgreSQL archive (backfill.ts drives it), and the audit trail's insert
 * that it shares with the live flushes (pg-archive.ts). Sessions an earlier imapscope archived
 * are derived from their events by the live path's own code: the session-row reducer, the
 * audit trail (actions.ts) and the searchable text (pg-search-text.ts).
 *
 * A batch is one transaction: it claims ended, underived sessions one at a time, newest first,
 * with `FOR UPDATE SKIP LOCKED` (so instances starting together share the work instead of
 * doing it twice), deletes what an earlier derivation left of each, derives it whole, reading
 * its events a page at a time, and sets its `derived` column, until it has read `maxEvents`
 * events. A kill rolls the batch back; the next open does those sessions again.
 */
import type { Pool, PoolClient } from 'pg';
import type { AuditAction } from '../../shared/audit.ts';
import type { ImapscopeEvent } from '../../shared/events.ts';
import { fromJson, toJson } from '../../shared/protocol.ts';
import { applySessionEvent, newSessionRow } from '../../shared/session-row.ts';
import { ActionRecorder } from './actions.ts';
import type { BackfillBatch } from './backfill.ts';
import { insertSearchText } from './pg-search-text.ts';
import { DERIVATION_VERSION } from './schema.ts';

/** Inserts audit actions in one statement (each column one array parameter). */
export async function insertActions(c: PoolClient, actions: readonly AuditAction[]): Promise<void> {
  if (actions.length === 0) return;
  await c.query(
    `INSERT INTO actions(session, seq, at, "user", client, kind, status, mailbox, body)
     SELECT * FROM unnest($1::text[], $2::integer[], $3::bigint[], $4::text[], $5::text[],
       $6::text[], $7::text[], $8::text[], $9::text[])
     ON CONFLICT DO NOTHING`,
    [
      actions.map((a) => a.session),
      actions.map((a) => a.seq),
      actions.map((a) => a.at),
      actions.map((a) => a.user),
      actions.map((a) => a.client),
      actions.map((a) => a.kind),
      actions.map((a) => a.status),
      actions.map((a) => a.mailbox),
      actions.map((a) => toJson(a)),
    ],
  );
}

/** Only ended sessions: a live one is still being written (by this or another instance). */
const UNDERIVED = `derived < ${DERIVATION_VERSION} AND ended_at IS NOT NULL`;

/** Ended sessions not derived by this version yet. */
export async function pgUnderivedSessions(pool: Pool): Promise<number> {
  const r = await pool.query<{ n: number }>(
    `SELECT count(*) AS n FROM sessions WHERE ${UNDERIVED}`,
  );
  return r.rows[0]!.n;
}

/** One backfill batch in one transaction (see the top of this file). */
export async function pgBackfillBatch(pool: Pool, maxEvents: number): Promise<BackfillBatch> {
  const c = await pool.connect();
  let sessions = 0;
  let events = 0;
  try {
    await c.query('BEGIN');
    while (events < maxEvents) {
      const next = await c.query<{ id: string; started_at: number }>(
        `SELECT id, started_at FROM sessions WHERE ${UNDERIVED}
         ORDER BY derived DESC, id DESC LIMIT 1 FOR UPDATE SKIP LOCKED`,
      );
      const s = next.rows[0];
      if (!s) break;
      events += await deriveSession(c, s.id, s.started_at, maxEvents);
      sessions += 1;
    }
    await c.query('COMMIT');
    return { sessions, events };
  } catch (err) {
    await c.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    c.release();
  }
}

/** Derives one claimed session whole, a page of events at a time; returns its event count. */
async function deriveSession(
  c: PoolClient,
  id: string,
  startedAt: number,
  pageSize: number,
): Promise<number> {
  await c.query(`DELETE FROM actions WHERE session = $1`, [id]);
  await c.query(`DELETE FROM session_text WHERE session = $1`, [id]);
  const actions = new ActionRecorder(null);
  const row = newSessionRow(id, startedAt);
  let lastAt = startedAt;
  let after = -1;
  let count = 0;
  for (;;) {
    const r = await c.query<{ body: string }>(
      `SELECT body FROM events WHERE session = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
      [id, after, pageSize],
    );
    const page = r.rows.map((x) => fromJson<ImapscopeEvent>(x.body));
    for (const e of page) {
      applySessionEvent(row, e);
      lastAt = Math.max(lastAt, e.at);
    }
    // One searchable row per page, as the live archive writes one per flush.
    await insertSearchText(c, page);
    await insertActions(c, actions.record(page));
    count += page.length;
    if (page.length < pageSize) break;
    after = page[page.length - 1]!.seq;
  }
  // The row as the live flushes would have left it: the derived counters set (they are the
  // whole session's), a field the events say nothing of keeps its stored value (an
  // `interrupted` or `imported` end); `events`, `dropped` and `stored_bytes` were always kept.
  await c.query(
    `UPDATE sessions SET last_at = greatest(last_at, $1), "user" = coalesce($2, "user"),
       state = coalesce($3, state), ended_at = coalesce($4, ended_at),
       reason = coalesce($5, reason), bytes_c2s = coalesce($6, bytes_c2s),
       bytes_s2c = coalesce($7, bytes_s2c), exchanges = $8, nos = $9, bads = $10, lints = $11,
       gaps = $12, gap_bytes = $13, client_name = coalesce($14, client_name),
       client_version = coalesce($15, client_version), derived = ${DERIVATION_VERSION}
     WHERE id = $16`,
    [
      lastAt,
      row.user,
      row.state,
      row.endedAt,
      row.reason,
      row.bytesC2s,
      row.bytesS2c,
      row.exchangeCount,
      row.noCount,
      row.badCount,
      row.lintCount,
      row.gapCount,
      row.gapBytes,
      row.clientName,
      row.clientVersion,
      id,
    ],
  );
  return count;
}
