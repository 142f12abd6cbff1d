import type { AuditAction } from '../../shared/audit.ts';
import type { Logger } from '../log.ts';
import { AuditTrail } from '../session/audit.ts';
import type { Sink } from './hub.ts';

/**
 * The audit trail as log lines: one `action` line at info per action (session/audit.ts), the
 * lines a SIEM ingests. Fields: session, user, client, kind, status, command, mailbox, target,
 * uids, flags, messages (how many were named), detail. Secrets never appear: actions are
 * derived from events the session layer has already masked.
 */
export function logActions(log: Logger, actions: readonly AuditAction[]): void {
  for (const a of actions) log.info(fields(a), 'action');
}

/**
 * Derives the actions for the log when there is no archive to derive them (--max-archive-mb
 * 0); with the archive, its flush derives them once and logs them through {@link logActions}.
 */
export function auditLogSink(log: Logger): Sink {
  const trails = new Map<string, AuditTrail>();
  return {
    name: 'audit-log',
    write(events) {
      if (!log.isLevelEnabled('info')) return;
      for (const e of events) {
        let trail = trails.get(e.session);
        if (!trail) {
          trail = new AuditTrail(e.session);
          trails.set(e.session, trail);
        }
        logActions(log, trail.push([e]));
        if (e.type === 'session.close') trails.delete(e.session);
      }
    },
  };
}

function fields(a: AuditAction): Record<string, unknown> {
  return {
    session: a.session,
    user: a.user,
    client: a.client,
    kind: a.kind,
    status: a.status,
    command: a.command,
    mailbox: a.mailbox,
    ...(a.target !== null && { target: a.target }),
    ...(a.uids !== null && { uids: a.uids }),
    ...(a.flags !== null && { flags: a.flags }),
    messages: a.messages.length,
    detail: a.detail,
  };
}
