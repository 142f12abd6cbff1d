import { join } from 'node:path';
import type { Logger } from '../log.ts';
import type { ApiContext } from '../ui/api.ts';
import { Archive } from '../archive/archive.ts';
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

/**
 * Opens the archive in the data directory, continues the hub's gseq after it, and adds the
 * archive, the in-memory registry and the WebSocket sink to the hub. Returns what the UI
 * server needs.
 */
export function startHubServices(hub: Hub, log: Logger, opts: HubServiceOptions): ApiContext {
  let archive: Archive | null = null;
  if (opts.maxArchiveMb > 0) {
    archive = new Archive(join(opts.dataDir, ARCHIVE_FILE), {
      retainDays: opts.retainDays,
      maxBytes: opts.maxArchiveMb * 1024 * 1024,
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
    const interrupted = archive.closeInterrupted();
    if (interrupted > 0)
      log.warn({ sessions: interrupted }, 'archive: sessions cut off by a crash');
    hub.seed(maxGseq(archive.db));
  } else {
    // Without an archive the audit trail is derived for the log alone.
    hub.add(auditLogSink(log));
  }
  const registry = opts.registry ?? new SessionRegistry();
  const a = archive;
  const ws = opts.noViewer
    ? null
    : new WsSink({
        lastGseq: () => hub.lastGseq,
        sessions: () => {
          if (!a) return registry.list({ limit: 200 });
          a.flush();
          return listSessions(a.db, { limit: 200 });
        },
        byGseq: (after, until, limit) => {
          if (!a) return null;
          a.flush();
          return eventsByGseq(a.db, after, until, limit);
        },
        bySession: (session, afterSeq, limit) => {
          if (!a) return null;
          a.flush();
          if (!getSession(a.db, session)) return null;
          return sessionEvents(a.db, session, afterSeq, limit);
        },
      });
  hub.add(registry);
  if (archive) hub.add(archive);
  if (ws) hub.add(ws);
  return { hub, archive, registry, ws };
}
