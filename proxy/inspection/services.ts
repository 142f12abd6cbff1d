import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../log.ts';
import type { ApiContext } from '../ui/api.ts';
import { Archive, type ArchiveOptions } from '../archive/archive.ts';
import type { PgArchive } from '../archive/pg-archive.ts';
import type { RecoveryReport } from '../archive/recovery.ts';
import { Backfill } from '../archive/backfill.ts';
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
  /** After each archive flush, its duration in ms (/metrics). */
  onArchiveFlushed?: (ms: number) => void;
}

/** The archive's file in the data directory. */
export const archiveFile = (opts: HubServiceOptions): string => join(opts.dataDir, ARCHIVE_FILE);

/**
 * Whether the archive needs crash recovery: its WAL is still there. SQLite removes it when the
 * last connection closes, so it remains only after a process that had the archive open died
 * (or while another process, an `imapscope export`, still reads it: then recovery is merely
 * not needed). A missing archive or one closed cleanly is opened at once. A PostgreSQL archive
 * needs none: the server recovers its own database.
 */
export function archiveNeedsRecovery(opts: HubServiceOptions): boolean {
  return opts.maxArchiveMb > 0 && !opts.archiveUrl && existsSync(`${archiveFile(opts)}-wal`);
}

/**
 * Adds the in-memory registry, the WebSocket sink and the archive to the hub and returns what
 * the UI server needs. An archive left by a crash is not opened here: `archiveRecovering` is
 * true until {@link attachArchive} is called after crash recovery (proxy/archive/recovery.ts),
 * and the hub must not publish before that (the inspection thread holds its messages). An
 * archive closed cleanly (or none yet), or a PostgreSQL one, is opened here, at once.
 */
export async function startHubServices(
  hub: Hub,
  log: Logger,
  opts: HubServiceOptions,
): Promise<ApiContext> {
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
        sessions: async () => {
          const a = ctx.archive;
          if (!a) return registry.list({ limit: 200 });
          await a.settle();
          return a.listSessions({ limit: 200 });
        },
        byGseq: async (after, until, limit) => {
          const a = ctx.archive;
          if (!a) return null;
          await a.settle();
          return a.eventsByGseq(after, until, limit);
        },
        bySession: async (session, afterSeq, limit) => {
          const a = ctx.archive;
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
  if (ctx.ws) hub.add(ctx.ws);
  if (opts.maxArchiveMb > 0 && !ctx.archiveRecovering) {
    const archive = opts.archiveUrl
      ? await openSharedArchive(log, opts, opts.archiveUrl)
      : openArchive(log, opts, true);
    const interrupted = await archive.closeInterrupted();
    if (interrupted > 0)
      log.warn({ sessions: interrupted }, 'archive: sessions cut off by a crash');
    hub.seed(await archive.maxGseq());
    hub.add(archive);
    ctx.archive = archive;
    ctx.backfill = startBackfill(log, archive);
    if (archive.kind === 'postgres' && ctx.ws)
      await followOtherInstances(hub, log, archive, ctx.ws);
  }
  return ctx;
}

/** What both archives are told: limits, and where failures and audit actions go. */
function archiveOptions(
  log: Logger,
  opts: HubServiceOptions,
  pruneOnOpen: boolean,
): ArchiveOptions {
  return {
    instance: opts.instance ?? '',
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
  };
}

/** The SQLite archive for writing. */
function openArchive(log: Logger, opts: HubServiceOptions, pruneOnOpen: boolean): Archive {
  return new Archive(archiveFile(opts), archiveOptions(log, opts, pruneOnOpen));
}

/** The PostgreSQL archive shared with other instances (--archive postgres://…). */
async function openSharedArchive(
  log: Logger,
  opts: HubServiceOptions,
  url: string,
): Promise<ArchiveStore> {
  // Loaded only when asked for: the SQLite default does not pay for pg at start.
  const { PgArchive } = await import('../archive/pg-archive.ts');
  return PgArchive.open(url, archiveOptions(log, opts, true)).catch((err: unknown) => {
    // Named by the flag, the password masked: the operator's mistake, not a stack.
    const e = err as NodeJS.ErrnoException;
    throw new Error(`--archive ${maskArchiveUrl(url)}: ${e.code ?? ''} ${e.message}`.trim());
  });
}

/** Other instances' sessions stream to this instance's viewers too (pg-feed.ts). */
async function followOtherInstances(
  hub: Hub,
  log: Logger,
  archive: ArchiveStore,
  ws: WsSink,
): Promise<void> {
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

/**
 * After recovery (SQLite only): opens the archive for writing, continues the hub's gseq after
 * the archived ones and adds the archive to the hub. `report` null: recovery failed, so the
 * process runs on without an archive (the audit trail goes to the log alone) rather than stop
 * relaying.
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
  ctx.backfill = startBackfill(log, archive);
}

/**
 * Derives, in the background, what sessions archived by an earlier imapscope lack (search
 * text, audit actions, the row's newer counters: archive/backfill.ts), logging at info when it
 * starts, every BACKFILL_PROGRESS_MS and when it is done. Closing the archive stops it after
 * its current batch; the next start goes on from there.
 */
export function startBackfill(log: Logger, archive: ArchiveStore): Backfill {
  let failed = false;
  const backfill = Backfill.start(archive, {
    onStart: (sessions) =>
      log.info({ sessions }, `backfilling search and audit for ${sessions} sessions…`),
    onProgress: (p) => log.info(p, `backfill: ${p.done} of ${p.sessions} sessions`),
    onDone: (r) =>
      log.info(
        { sessions: r.done, events: r.events, ms: r.ms },
        `backfill done: ${r.done} sessions in ${(r.ms / 1000).toFixed(1)} s`,
      ),
    onError: (err, p) => {
      failed = true;
      log.warn(
        { err: String(err), done: p.done, sessions: p.sessions },
        'backfill stopped by an error; the next start goes on',
      );
    },
  });
  void backfill.finished.then((r) => {
    if (!r.complete && !failed && r.sessions > 0)
      log.info({ done: r.done, sessions: r.sessions }, 'backfill paused; the next start goes on');
  });
  return backfill;
}
