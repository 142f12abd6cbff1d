import { join } from 'node:path';
import type { Logger } from '../log.ts';
import type { ApiContext } from '../ui/api.ts';
import { Archive, type ArchiveOptions } from '../archive/archive.ts';
import type { PgArchive } from '../archive/pg-archive.ts';
import { WARN_INTERVAL_MS } from '../limits.ts';
import { ARCHIVE_FILE } from '../archive/schema.ts';
import { maskArchiveUrl, type ArchiveStore } from '../archive/store.ts';
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
  /** A postgres:// URL: the archive shared with other instances; absent: SQLite in dataDir. */
  archiveUrl?: string | null;
  /** This instance's name, recorded with each session ('' when absent). */
  instance?: string;
  /** No WebSocket sink (benchmark baseline); the API still works. */
  noViewer?: boolean;
  /** The application's registry (fed by the relay too); a new one if absent. */
  registry?: SessionRegistry;
}

/**
 * Opens the archive in the data directory, continues the hub's gseq after it, and adds the
 * archive, the in-memory registry and the WebSocket sink to the hub. Returns what the UI
 * server needs.
 */
export async function startHubServices(
  hub: Hub,
  log: Logger,
  opts: HubServiceOptions,
): Promise<ApiContext> {
  let archive: ArchiveStore | null = null;
  if (opts.maxArchiveMb > 0) {
    const archiveOpts: ArchiveOptions = {
      instance: opts.instance ?? '',
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
    };
    if (opts.archiveUrl) {
      const url = opts.archiveUrl;
      // Loaded only when asked for: the SQLite default does not pay for pg at start.
      const { PgArchive } = await import('../archive/pg-archive.ts');
      archive = await PgArchive.open(url, archiveOpts).catch((err: unknown) => {
        // Named by the flag, the password masked: the operator's mistake, not a stack.
        const e = err as NodeJS.ErrnoException;
        throw new Error(`--archive ${maskArchiveUrl(url)}: ${e.code ?? ''} ${e.message}`.trim());
      });
    } else archive = new Archive(join(opts.dataDir, ARCHIVE_FILE), archiveOpts);
    const interrupted = await archive.closeInterrupted();
    if (interrupted > 0)
      log.warn({ sessions: interrupted }, 'archive: sessions cut off by a crash');
    hub.seed(await archive.maxGseq());
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
        sessions: async () => {
          if (!a) return registry.list({ limit: 200 });
          await a.settle();
          return a.listSessions({ limit: 200 });
        },
        byGseq: async (after, until, limit) => {
          if (!a) return null;
          await a.settle();
          return a.eventsByGseq(after, until, limit);
        },
        bySession: async (session, afterSeq, limit) => {
          if (!a) return null;
          await a.settle();
          const row = await a.getSession(session);
          if (!row) return null;
          const events = await a.sessionEvents(session, afterSeq, limit);
          // Another instance's gseqs mean nothing in this hub's stream: as gseq 0 the snapshot
          // keeps them all; live ones the feed delivers again the viewer skips by seq.
          return row.instance && row.instance !== a.instance
            ? events.map((e) => ({ ...e, gseq: 0 }))
            : events;
        },
      });
  hub.add(registry);
  if (archive) hub.add(archive);
  if (ws) hub.add(ws);
  if (archive?.kind === 'postgres' && ws) {
    // Other instances' sessions stream to this instance's viewers too (pg-feed.ts).
    const { PgFeed } = await import('../archive/pg-feed.ts');
    const shared = archive as PgArchive;
    let lastWarn = -Infinity;
    const feed = new PgFeed(
      shared.pool,
      shared.instance,
      (events) => hub.publishTo(events, [ws]),
      (err) => {
        if (Date.now() - lastWarn < WARN_INTERVAL_MS) return;
        lastWarn = Date.now();
        log.warn({ err: String(err) }, "archive: reading other instances' events failed");
      },
    );
    await feed.start();
    hub.add({ name: 'pg-feed', write: () => {}, close: () => Promise.resolve(feed.stop()) });
  }
  return { hub, archive, registry, ws };
}
