/**
 * Crash recovery of the archive, the part of opening it whose cost grows with its size: SQLite
 * replays the WAL a killed process left, live sessions of the dead process are ended
 * `interrupted`, the highest gseq is found (the hub continues after it), the first retention
 * pass runs, and the WAL is checkpointed so the next open of the file is quick. The
 * application runs this in a thread of its own (proxy/inspection/recovery-thread.ts) after the
 * listener is open, so a large archive never delays mail traffic; the inspection thread opens
 * the archive for writing once it has finished.
 */
import { Archive, type ArchiveOptions } from './archive.ts';
import { maxGseq } from './read.ts';

/** What recovery found and did; the log's "archive recovery finished" line carries it. */
export interface RecoveryReport {
  /** Sessions in the archive after recovery (retention included). */
  sessions: number;
  /** Events in the archive after recovery. */
  events: number;
  /** Sessions the dead process left live, now ended `interrupted`. */
  interrupted: number;
  /** Sessions the first retention pass deleted. */
  pruned: number;
  /** The highest gseq archived: the hub numbers new events after it. */
  lastGseq: number;
  ms: number;
}

/**
 * Recovers the archive at `file` (creating it when absent) and closes it again. It blocks its
 * thread while it runs: call it where that is harmless. Rejects with what opening throws
 * (ArchiveVersionError, I/O errors).
 */
export async function recoverArchive(
  file: string,
  opts: Pick<ArchiveOptions, 'retainDays' | 'maxBytes' | 'now'> = {},
): Promise<RecoveryReport> {
  const t0 = performance.now();
  const archive = new Archive(file, { ...opts, pruneOnOpen: false });
  try {
    const interrupted = archive.closeInterruptedNow();
    const pruned = opts.retainDays || opts.maxBytes ? archive.prune() : 0;
    const lastGseq = maxGseq(archive.db);
    const count = (table: string): number =>
      Number(archive.db.prepare(`SELECT count(*) FROM ${table}`).pluck().get());
    const sessions = count('sessions');
    const events = count('events');
    // The next open (for writing, in the inspection thread) then has no WAL to read.
    archive.db.pragma('wal_checkpoint(TRUNCATE)');
    return {
      sessions,
      events,
      interrupted,
      pruned,
      lastGseq,
      ms: Math.round(performance.now() - t0),
    };
  } finally {
    await archive.close();
  }
}
