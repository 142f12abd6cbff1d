import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../log.ts';
import type { ApiContext } from '../ui/api.ts';
import { Archive } from '../archive/archive.ts';
import type { RecoveryReport } from '../archive/recovery.ts';
import { getSession, listSessions, maxGseq, sessionEvents, eventsByGseq } from '../archive/read.ts';
import { ARCHIVE_FILE } from '../archive/schema.ts';
import { auditLogSink, logActions } from '../hub/audit-log-sink.ts';
import type { Hub } from '../hub/hub.ts';
import { SessionRegistry } from '../hub/registry.ts';
import { WsSink } from '../ui/ws-sink.ts';

export interface HubServiceOptions {
  dataDir: string;
  /** Ended sessions older than this are deleted; 0 keeps them. */
  retainDays: number;
  /** Size cap of the archive in MiB; 0 turns the archive off. */
  maxArchiveMb: number;
  /** No WebSocket sink (benchmark baseline); the API still works. */
  noViewer?: boolean;
  /** The application's registry (fed by the relay too); a new one if absent. */
  registry?: SessionRegistry;
  /** After each archive flush, its duration in ms (/metrics). */
  onArchiveFlushed?: (ms: number) => void;
}

/** The archive's file in the data directory. */
export const archiveFile = (opts: HubServiceOptions): string => join(opts.dataDir, ARCHIVE_FILE);

/**
 * Whether the archive needs crash recovery: its WAL is still there. SQLite removes it when the
 * last connection closes, so it remains only after a process that had the archive open died
 * (or while another process, an `imapscope export`, still reads it: then recovery is merely
 * not needed). A missing archive or one closed cleanly is opened at once.
 */
export function archiveNeedsRecovery(opts: HubServiceOptions): boolean {
  return opts.maxArchiveMb > 0 && existsSync(`${archiveFile(opts)}-wal`);
}

/**
 * Adds the in-memory registry, the WebSocket sink and the archive to the hub and returns what
 * the UI server needs. An archive left by a crash is not opened here: `archiveRecovering` is
 * true until {@link attachArchive} is called after crash recovery (proxy/archive/recovery.ts),
 * and the hub must not publish before that (the inspection thread holds its messages). An
 * archive closed cleanly (or none yet) is opened here, at once.
 */
export function startHubServices(hub: Hub, log: Logger, opts: HubServiceOptions): ApiContext {
  const registry = opts.registry ?? new SessionRegistry();
  const ctx: ApiContext = {
    hub,
    archive: null,
    archiveRecovering: archiveNeedsRecovery(opts),
    registry,
    ws: null,
  };
  // Without an archive the audit trail is derived for the log alone.
  if (opts.maxArchiveMb <= 0) hub.add(auditLogSink(log));
  ctx.ws = opts.noViewer
    ? null
    : new WsSink({
        lastGseq: () => hub.lastGseq,
        sessions: () => {
          const a = ctx.archive;
          if (!a) return registry.list({ limit: 200 });
          a.flush();
          return listSessions(a.db, { limit: 200 });
        },
        byGseq: (after, until, limit) => {
          const a = ctx.archive;
          if (!a) return null;
          a.flush();
          return eventsByGseq(a.db, after, until, limit);
        },
        bySession: (session, afterSeq, limit) => {
          const a = ctx.archive;
          if (!a) return null;
          a.flush();
          if (!getSession(a.db, session)) return null;
          return sessionEvents(a.db, session, afterSeq, limit);
        },
      });
  hub.add(registry);
  if (ctx.ws) hub.add(ctx.ws);
  if (opts.maxArchiveMb > 0 && !ctx.archiveRecovering) {
    const archive = openArchive(log, opts, true);
    const interrupted = archive.closeInterrupted();
    if (interrupted > 0)
      log.warn({ sessions: interrupted }, 'archive: sessions cut off by a crash');
    hub.seed(maxGseq(archive.db));
    hub.add(archive);
    ctx.archive = archive;
  }
  return ctx;
}

/** The archive for writing, its failures and audit actions going to the log. */
function openArchive(log: Logger, opts: HubServiceOptions, pruneOnOpen: boolean): Archive {
  return new Archive(archiveFile(opts), {
    retainDays: opts.retainDays,
    maxBytes: opts.maxArchiveMb * 1024 * 1024,
    pruneOnOpen,
    // One line per WARN_INTERVAL_MS with counts, not a stack per failed write (a full disk).
    onError: (err, lost) =>
      log.warn(
        { code: (err as NodeJS.ErrnoException).code, err: String(err), ...lost },
        'archive writes failing: events and raw bytes are dropped',
      ),
    onRecover: (lost) => log.warn(lost, 'archive writes resumed'),
    onActions: (actions) => logActions(log, actions),
    ...(opts.onArchiveFlushed ? { onFlushed: opts.onArchiveFlushed } : {}),
  });
}

/**
 * After recovery: opens the archive for writing, continues the hub's gseq after the archived
 * ones and adds the archive to the hub. `report` null: recovery failed, so the process runs
 * on without an archive (the audit trail goes to the log alone) rather than stop relaying.
 */
export function attachArchive(
  ctx: ApiContext,
  log: Logger,
  opts: HubServiceOptions,
  report: RecoveryReport | null,
): void {
  ctx.archiveRecovering = false;
  if (!report) {
    ctx.hub.add(auditLogSink(log));
    return;
  }
  // Recovery ran the first retention pass; the next one is ARCHIVE_RETENTION_INTERVAL_MS away.
  const archive = openArchive(log, opts, false);
  ctx.hub.seed(report.lastGseq);
  ctx.hub.add(archive);
  ctx.archive = archive;
}
