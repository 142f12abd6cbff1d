/**
 * Other instances' live events, from the shared PostgreSQL archive: what lets every instance's
 * viewer watch sessions that another instance relays.
 *
 * Polling by sequence, not LISTEN/NOTIFY: an instance's events only become visible when its
 * flush commits (every ARCHIVE_FLUSH_MS), each instance's gseq is committed in order (its
 * flushes commit one after another), so "events of instance X with gseq > the last one seen"
 * is an exact, gap-free cursor that survives a lost connection; one indexed query per instance
 * per PG_FEED_POLL_MS. NOTIFY would save at most one poll interval, needs a connection held open
 * per instance, and its 8000-byte payload could not carry the events anyway (a fetch by
 * sequence would follow every notification).
 *
 * Each instance registers itself in `instances`; an instance first seen is followed from its
 * newest event at that moment (history is in the archive, not replayed).
 */
import type { Pool } from 'pg';
import type { ImapscopeEvent } from '../../shared/events.ts';
import { fromJson } from '../../shared/protocol.ts';
import { PG_FEED_PAGE, PG_FEED_POLL_MS } from '../limits.ts';

export class PgFeed {
  private readonly cursors = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly pool: Pool,
    private readonly instance: string,
    private readonly onEvents: (events: ImapscopeEvent[]) => void,
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  /** Registers this instance, takes every other instance's current position, starts polling. */
  async start(): Promise<void> {
    const now = Date.now();
    await this.pool.query(
      `INSERT INTO instances(name, started_at, seen_at) VALUES ($1, $2, $2)
       ON CONFLICT (name) DO UPDATE SET started_at = $2, seen_at = $2`,
      [this.instance, now],
    );
    await this.discover();
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.poll()
        // A poll cut short by shutdown (the pool ending) is no failure worth a line.
        .catch((err: unknown) => {
          if (!this.stopped) this.onError(err);
        })
        .finally(() => this.schedule());
    }, PG_FEED_POLL_MS);
    this.timer.unref();
  }

  /** Instances not followed yet: from their newest event. */
  private async discover(): Promise<void> {
    const r = await this.pool.query<{ name: string }>(
      `SELECT name FROM instances WHERE name <> $1`,
      [this.instance],
    );
    for (const { name } of r.rows) {
      if (this.cursors.has(name)) continue;
      const m = await this.pool.query<{ m: number | null }>(
        `SELECT max(gseq) AS m FROM events WHERE instance = $1 AND gseq > 0`,
        [name],
      );
      this.cursors.set(name, m.rows[0]?.m ?? 0);
    }
  }

  /** One round: new instances, then each one's events past its cursor, in its gseq order. */
  async poll(): Promise<number> {
    await this.discover();
    let n = 0;
    for (const [name, after] of this.cursors) {
      const r = await this.pool.query<{ gseq: number; body: string }>(
        `SELECT gseq, body FROM events WHERE instance = $1 AND gseq > $2 ORDER BY gseq LIMIT $3`,
        [name, after, PG_FEED_PAGE],
      );
      if (r.rows.length === 0 || this.stopped) continue;
      this.cursors.set(name, r.rows[r.rows.length - 1]!.gseq);
      this.onEvents(r.rows.map((row) => fromJson<ImapscopeEvent>(row.body)));
      n += r.rows.length;
    }
    return n;
  }
}
