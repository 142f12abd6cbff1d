/**
 * The audit trail in the archive: the actions proxy/session/audit.ts derives from each
 * session's events, one row each, indexed for the questions an auditor asks (by user, by
 * time, by mailbox, by kind). Derived as events are archived, in the same transaction, so
 * an action is durable exactly when the events that caused it are. The table is created with
 * the others (schema.ts).
 */
import type { Database as Db, Statement } from 'better-sqlite3';
import type { AuditAction, AuditFilter } from '../../shared/audit.ts';
import type { ImapscopeEvent } from '../../shared/events.ts';
import { fromJson, toJson } from '../../shared/protocol.ts';
import { API_PAGE_MAX } from '../limits.ts';
import { AuditTrail } from '../session/audit.ts';

/** Keeps one AuditTrail per open session and writes the actions it derives. */
export class ActionRecorder {
  private readonly trails = new Map<string, AuditTrail>();
  private readonly insert: Statement | null;
  /** Actions derived, for the log and tests. */
  written = 0;

  /** Without a database (PostgreSQL inserts them itself in batches) it only derives. */
  constructor(db: Db | null) {
    this.insert =
      db &&
      db.prepare(
        `INSERT OR IGNORE INTO actions(session, seq, at, user, client, kind, status, mailbox, body)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
  }

  /**
   * Derives and inserts the actions of these events (call inside the archive's transaction);
   * returns them, for the log once the transaction has committed.
   */
  record(events: readonly ImapscopeEvent[]): AuditAction[] {
    const out: AuditAction[] = [];
    for (const e of events) {
      let trail = this.trails.get(e.session);
      if (!trail) {
        trail = new AuditTrail(e.session);
        this.trails.set(e.session, trail);
      }
      for (const a of trail.push([e])) {
        this.insert?.run(
          a.session,
          a.seq,
          a.at,
          a.user,
          a.client,
          a.kind,
          a.status,
          a.mailbox,
          toJson(a),
        );
        this.written += 1;
        out.push(a);
      }
      if (e.type === 'session.close') this.trails.delete(e.session);
    }
    return out;
  }

  /**
   * Drops a session's trail: it will get no more events (the backfill has read them all,
   * though an interrupted session never had its session.close), or its derivation starts over.
   */
  forget(session: string): void {
    this.trails.delete(session);
  }
}

/**
 * Actions matching the filter, newest first (at, then session and seq), at most
 * `limit` (capped at API_PAGE_MAX). Page on with `before` set to the last row's position.
 */
export function queryActions(db: Db, filter: AuditFilter): AuditAction[] {
  const { sql, args } = actionsQuery(filter);
  return (
    db
      .prepare(sql)
      .pluck()
      .all(...args) as string[]
  ).map((b) => fromJson<AuditAction>(b));
}

/**
 * The SELECT of queryActions with `?` placeholders, in SQL both SQLite and PostgreSQL read
 * (`"user"` is quoted: a bare `user` is PostgreSQL's current_user).
 */
export function actionsQuery(filter: AuditFilter): { sql: string; args: (string | number)[] } {
  const where: string[] = [];
  const args: (string | number)[] = [];
  const add = (sql: string, ...values: (string | number)[]): void => {
    where.push(sql);
    args.push(...values);
  };
  if (filter.user !== undefined) add('"user" = ?', filter.user);
  if (filter.client !== undefined) {
    // A host matches every port of it; host:port matches exactly.
    where.push(`(client = ? OR client LIKE ? ESCAPE '\\')`);
    args.push(filter.client, `${filter.client.replace(/[\\%_]/g, (c) => '\\' + c)}:%`);
  }
  if (filter.mailbox !== undefined) add('mailbox = ?', filter.mailbox);
  if (filter.kind !== undefined) add('kind = ?', filter.kind);
  if (filter.session !== undefined) add('session = ?', filter.session);
  if (filter.since !== undefined) add('at >= ?', filter.since);
  if (filter.until !== undefined) add('at < ?', filter.until);
  if (filter.before) {
    const b = filter.before;
    where.push('(at < ? OR (at = ? AND (session < ? OR (session = ? AND seq < ?))))');
    args.push(b.at, b.at, b.session, b.session, b.seq);
  }
  const limit = Math.min(Math.max(1, filter.limit ?? API_PAGE_MAX), API_PAGE_MAX);
  const sql =
    `SELECT body FROM actions${where.length ? ' WHERE ' + where.join(' AND ') : ''}` +
    ` ORDER BY at DESC, session DESC, seq DESC LIMIT ${limit}`;
  return { sql, args };
}
