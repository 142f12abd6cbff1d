import { useState } from 'react';
import type { CommandStats } from '../../../../shared/stats.ts';
import { api } from '../../api.ts';
import { formatLatency } from '../../format.ts';
import type { AppStore } from '../../state/app-store.ts';
import { fieldSetter, isoOf, TimeRange, useDebouncedQuery } from '../query-form.tsx';
import { PercentileChart, rowLabel } from './percentile-chart.tsx';

interface StatsQuery {
  since: string;
  until: string;
  user: string;
  upstream: string;
  by: '' | 'upstream' | 'user';
}

const EMPTY: StatsQuery = { since: '', until: '', user: '', upstream: '', by: '' };

const pct = (n: number, of: number): string =>
  of === 0 || n === 0 ? '0' : `${((100 * n) / of).toFixed(n * 1000 < of ? 2 : 1)}%`;
const ms = (v: number | null): string => (v === null ? '–' : formatLatency(v));

/**
 * Latency statistics across the archive (GET /api/stats): per command (and upstream or user),
 * the count, NO/BAD rates and p50/p95/p99/max, as a table and a percentile plot.
 */
export function StatsPage({ store }: { store: AppStore }) {
  const [q, setQ] = useState<StatsQuery>(EMPTY);
  const load = (query: StatsQuery): Promise<CommandStats[]> =>
    api.stats(store.token, {
      since: isoOf(query.since),
      until: isoOf(query.until),
      user: query.user,
      upstream: query.upstream,
      by: query.by,
    });
  const { result: rows, error } = useDebouncedQuery(q, load, [store.token]);
  const set = fieldSetter(setQ);
  const total = (rows ?? []).reduce((n, r) => n + r.count, 0);

  return (
    <div className="list-page stats-page" data-testid="stats-page">
      <form className="filters query-form" onSubmit={(e) => e.preventDefault()}>
        <input
          type="search"
          placeholder="User"
          value={q.user}
          onChange={set('user')}
          aria-label="User"
        />
        <input
          type="search"
          placeholder="Upstream host:port"
          value={q.upstream}
          onChange={set('upstream')}
          aria-label="Upstream"
        />
        <select value={q.by} onChange={set('by')} aria-label="Group by">
          <option value="">Per command</option>
          <option value="upstream">Per command and upstream</option>
          <option value="user">Per command and user</option>
        </select>
        <TimeRange since={q.since} until={q.until} onSince={set('since')} onUntil={set('until')} />
        <span className="muted" data-testid="stats-total">
          {rows === null ? 'loading…' : `${total.toLocaleString()} exchanges`}
        </span>
      </form>
      {error ? <div className="panel muted">{error}</div> : null}
      {rows ? <PercentileChart rows={rows} /> : null}
      <table className="sessions stats" data-testid="stats-table">
        <thead>
          <tr>
            <th>Command</th>
            <th className="num">Count</th>
            <th className="num">NO</th>
            <th className="num">BAD</th>
            <th className="num">p50</th>
            <th className="num wide">p95</th>
            <th className="num">p99</th>
            <th className="num">max</th>
          </tr>
        </thead>
        <tbody>
          {(rows ?? []).map((r) => (
            <tr
              key={`${r.command}\0${r.group ?? ''}`}
              data-testid="stats-row"
              data-command={r.command}
            >
              <td className="mono">{rowLabel(r)}</td>
              <td className="num">{r.count.toLocaleString()}</td>
              <td className={`num${r.no ? ' warn' : ' zero'}`}>{pct(r.no, r.count)}</td>
              <td className={`num${r.bad ? ' err' : ' zero'}`}>{pct(r.bad, r.count)}</td>
              <td className="num">{ms(r.p50)}</td>
              <td className="num wide">{ms(r.p95)}</td>
              <td className="num">{ms(r.p99)}</td>
              <td className="num">{ms(r.max)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
