/**
 * The audit trail's record: what a user did, derived from a session's events by
 * proxy/session/audit.ts, stored by the archive, served by `GET /api/audit`, printed by
 * `imapscope audit` and logged (one `action` line each at info).
 */

/** What was done. Stable: archives, users' filters and SIEM rules rely on these names. */
export const AUDIT_KINDS = [
  'login',
  'select',
  'examine',
  'read',
  'flags',
  'copy',
  'move',
  'expunge',
  'append',
  'create',
  'delete',
  'rename',
  'subscribe',
  'unsubscribe',
  'acl',
  'quota',
  'metadata',
] as const;

export type AuditKind = (typeof AUDIT_KINDS)[number];

export function isAuditKind(s: string): s is AuditKind {
  return (AUDIT_KINDS as readonly string[]).includes(s);
}

/** A message an action concerned, with what the session's traffic showed of it. */
export interface AuditMessage {
  /** Message sequence number at the time, when the traffic said. */
  seq: number | null;
  uid: number | null;
  /** From an ENVELOPE or a header fetch seen earlier in the same session. */
  messageId: string | null;
  subject: string | null;
}

export interface AuditAction {
  session: string;
  /** seq of the exchange event that completed the command (click-through target). */
  seq: number;
  /** seq of the command's message event. */
  commandSeq: number;
  /** When the command completed, ms since the epoch. */
  at: number;
  /** The logged-in user; for a login, the user who tried. */
  user: string | null;
  /** The mail client's address, host:port. */
  client: string;
  kind: AuditKind;
  /** The command's tagged status: a refused action is recorded too. */
  status: 'OK' | 'NO' | 'BAD' | 'aborted';
  /** The command as named on the wire, e.g. "UID MOVE". */
  command: string;
  /** The mailbox acted in (selected) or on (CREATE, APPEND's target, SELECT's name…). */
  mailbox: string | null;
  /** The second mailbox: COPY/MOVE destination, RENAME's new name. */
  target: string | null;
  /** Message set as sent (`1:3`, `4711`), or the UIDs the server reported (COPYUID, APPENDUID). */
  uids: string | null;
  /** Messages concerned, where the traffic identified them (at most AUDIT_MAX_MESSAGES). */
  messages: AuditMessage[];
  /** STORE: the flags with their operation (`+FLAGS (\Seen)`); APPEND: the flags given. */
  flags: string | null;
  /** One line for a human: what happened, with sizes and destinations. */
  detail: string;
}

/** At most this many messages are listed per action; `detail` gives the full count. */
export const AUDIT_MAX_MESSAGES = 100;

/** What an audit query may ask (REST query parameters and CLI flags have the same names). */
export interface AuditFilter {
  user?: string;
  client?: string;
  mailbox?: string;
  kind?: AuditKind;
  session?: string;
  /** ms since the epoch, inclusive. */
  since?: number;
  /** ms since the epoch, exclusive. */
  until?: number;
  limit?: number;
  /** Return actions older than this (at, then seq) for paging. */
  before?: { at: number; session: string; seq: number };
}
