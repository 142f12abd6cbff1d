/**
 * Latency statistics across sessions, in the spirit of Wireshark's service response time:
 * per command (and optionally per upstream or user), the count, percentiles of the latency
 * (command's last byte to completion's first byte), the maximum, and the NO/BAD rates.
 * Read from the archived `exchange` events; aborted exchanges count but have no latency.
 */
import type { Database as Db } from 'better-sqlite3';
import type { CommandStats } from '../../shared/stats.ts';

export const STATS_GROUPS = ['command', 'upstream', 'user'] as const;
export type StatsGroup = (typeof STATS_GROUPS)[number];

export interface StatsFilter {
  since?: number;
  until?: number;
  user?: string;
  upstream?: string;
  /** Besides the command name, group by this (command alone when unset). */
  by?: Exclude<StatsGroup, 'command'>;
}

export type { CommandStats };

/** The nearest-rank percentile of sorted values (p in 0..100); null for none. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export interface StatsRow {
  command: string;
  uid: number | boolean;
  status: string;
  latency: number | null;
  grp: string | null;
}

/** Rows per command (and group), busiest first. */
export function commandStats(db: Db, filter: StatsFilter = {}): CommandStats[] {
  const where = [`e.type = 'exchange'`];
  const args: (string | number)[] = [];
  const add = (sql: string, ...values: (string | number)[]): void => {
    where.push(sql);
    args.push(...values);
  };
  if (filter.since !== undefined) add('e.at >= ?', filter.since);
  if (filter.until !== undefined) add('e.at < ?', filter.until);
  if (filter.user !== undefined) add('s.user = ?', filter.user);
  if (filter.upstream !== undefined) add('s.upstream = ?', filter.upstream);
  const grp = filter.by === 'user' ? 's.user' : filter.by === 'upstream' ? 's.upstream' : 'NULL';
  const rows = db
    .prepare(
      `SELECT json_extract(e.body, '$.command') AS command, json_extract(e.body, '$.uid') AS uid,
              json_extract(e.body, '$.status') AS status,
              json_extract(e.body, '$.latencyMs') AS latency, ${grp} AS grp
       FROM events e JOIN sessions s ON s.id = e.session
       WHERE ${where.join(' AND ')}`,
    )
    .all(...args) as StatsRow[];
  return aggregateStats(rows, filter);
}

/** Folds exchange rows into per-command (and group) statistics, busiest first. */
export function aggregateStats(rows: readonly StatsRow[], filter: StatsFilter): CommandStats[] {
  const groups = new Map<string, { stats: CommandStats; latencies: number[] }>();
  for (const r of rows) {
    const command = (r.uid ? 'UID ' : '') + r.command;
    const key = `${command}\0${r.grp ?? ''}`;
    let g = groups.get(key);
    if (!g) {
      g = {
        stats: {
          command,
          group: filter.by ? (r.grp ?? '') : null,
          count: 0,
          ok: 0,
          no: 0,
          bad: 0,
          aborted: 0,
          p50: null,
          p95: null,
          p99: null,
          max: null,
        },
        latencies: [],
      };
      groups.set(key, g);
    }
    const s = g.stats;
    s.count += 1;
    if (r.status === 'OK') s.ok += 1;
    else if (r.status === 'NO') s.no += 1;
    else if (r.status === 'BAD') s.bad += 1;
    else s.aborted += 1;
    if (typeof r.latency === 'number') g.latencies.push(r.latency);
  }
  const out: CommandStats[] = [];
  for (const { stats, latencies } of groups.values()) {
    latencies.sort((a, b) => a - b);
    stats.p50 = percentile(latencies, 50);
    stats.p95 = percentile(latencies, 95);
    stats.p99 = percentile(latencies, 99);
    stats.max = latencies.length ? latencies[latencies.length - 1]! : null;
    out.push(stats);
  }
  return out.sort(
    (a, b) =>
      b.count - a.count ||
      a.command.localeCompare(b.command) ||
      (a.group ?? '').localeCompare(b.group ?? ''),
  );
}
