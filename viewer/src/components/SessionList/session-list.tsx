import { useEffect, useState } from 'react';
import { api } from '../../api.ts';
import {
  formatBytes,
  formatDateTime,
  formatDuration,
  formatEnd,
  STATE_LABELS,
} from '../../format.ts';
import type { AppStore } from '../../state/app-store.ts';
import { useEmitter } from '../../state/emitter.ts';
import type { SessionListRow } from '../../state/session-list-model.ts';
import { filterRows } from '../../state/session-list-model.ts';
import { EmptyState } from './empty-state.tsx';
import { useListKeys } from './use-list-keys.ts';

const STATE_FILTERS: [string, string][] = [
  ['', 'All sessions'],
  ['live', 'Live'],
  ['ended', 'Ended'],
  ['not-authenticated', 'Not authenticated'],
  ['authenticated', 'Authenticated'],
  ['selected', 'Selected'],
  ['logout', 'Logout'],
];

/** Live and archived sessions, newest first, with a search box and a state filter. */
export function SessionList({ store, onOpen }: { store: AppStore; onOpen: (id: string) => void }) {
  useEmitter(store.list.emitter);
  const [search, setSearch] = useState('');
  const [state, setState] = useState('');
  const [traffic, setTraffic] = useState('');
  const [trafficIds, setTrafficIds] = useState<Set<string> | null>(null);
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  // Searching the traffic itself is the hub's job (it has every event).
  useEffect(() => {
    if (traffic.trim() === '') return;
    let live = true;
    const t = setTimeout(() => {
      api.sessions(store.token, traffic.trim()).then(
        (rows) => live && setTrafficIds(new Set(rows.map((r) => r.id))),
        () => live && setTrafficIds(new Set()),
      );
    }, 250);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [traffic, store.token]);

  const all = store.list.list();
  const matching = traffic.trim() === '' ? null : trafficIds;
  const rows = filterRows(all, search, state).filter(
    (r) => matching === null || matching.has(r.id),
  );
  const [selected, setSelected] = useListKeys(rows.length, (i) => {
    const r = rows[i];
    if (r) onOpen(r.id);
  });

  if (store.ready && all.length === 0) return <EmptyState listen={store.listen} />;
  return (
    <div className="list-page">
      <div className="filters">
        <input
          type="search"
          placeholder="Filter by client, user, upstream, state…"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
          aria-label="Filter sessions"
        />
        <select value={state} onChange={(e) => setState(e.target.value)} aria-label="State">
          {STATE_FILTERS.map(([v, label]) => (
            <option key={v} value={v}>
              {label}
            </option>
          ))}
        </select>
        <input
          type="search"
          placeholder="Search the traffic (e.g. a mailbox name)"
          value={traffic}
          onChange={(e) => setTraffic(e.target.value)}
          aria-label="Search traffic"
        />
        <span className="spacer" />
        <span className="muted">
          {rows.length} of {all.length} sessions
        </span>
      </div>
      <table className="sessions" data-testid="session-list">
        <thead>
          <tr>
            <th>Session</th>
            <th className="wide">Client</th>
            <th className="wide">User</th>
            <th className="wide">Upstream</th>
            <th>State</th>
            <th className="wide">Started</th>
            <th className="wide">Duration</th>
            <th className="wide" title="Why the session ended">
              End
            </th>
            <th className="wide">Bytes ↑ / ↓</th>
            <th title="Commands answered NO">NO</th>
            <th title="Commands answered BAD">BAD</th>
            <th title="Lints: protocol mistakes explained">Lints</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => (
            <SessionRowView
              key={r.id}
              row={r}
              now={now}
              selected={i === selected}
              onClick={() => {
                setSelected(i);
                onOpen(r.id);
              }}
            />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function SessionRowView(props: {
  row: SessionListRow;
  now: number;
  selected: boolean;
  onClick: () => void;
}) {
  const { row: r, now } = props;
  const live = r.endedAt === null;
  const end = formatEnd(live ? null : r.reason);
  const count = (n: number, cls: string) => {
    const known = r.countsExact || n > 0;
    return (
      <td className={`num ${n === 0 ? 'zero' : cls}`} title={known ? '' : 'seen live only'}>
        {known ? n : '·'}
      </td>
    );
  };
  return (
    <tr
      className={[props.selected ? 'selected' : '', end.failed ? 'failed' : ''].join(' ').trim()}
      onClick={props.onClick}
      data-session={r.id}
      aria-selected={props.selected}
    >
      <td className="id">
        <span className="mono">{r.id}</span>{' '}
        {live ? (
          <span className="pill live">live</span>
        ) : r.source !== 'live' ? (
          <span className="pill">{r.source.split(':')[0]}</span>
        ) : null}
        {/* On a phone the wide columns are hidden: who and when go under the id. */}
        <span className="narrow muted">
          {r.user ?? '–'} · {formatDateTime(r.startedAt)}
        </span>
      </td>
      <td className="mono wide">{r.client}</td>
      <td className="wide">{r.user ?? <span className="muted">–</span>}</td>
      <td className="mono wide">{r.upstream}</td>
      <td>
        {r.state ? <span className={`pill state-${r.state}`}>{STATE_LABELS[r.state]}</span> : '–'}
      </td>
      <td className="wide">{formatDateTime(r.startedAt)}</td>
      <td className="num wide">{formatDuration((r.endedAt ?? now) - r.startedAt)}</td>
      <td className="wide" data-testid="end-reason" title={r.reason ?? 'live'}>
        {end.failed ? <span className="pill failed">{end.text}</span> : end.text}
      </td>
      <td className="num wide">
        {formatBytes(r.bytesC2s)} / {formatBytes(r.bytesS2c)}
      </td>
      {count(r.noCount, 'warn')}
      {count(r.badCount, 'err')}
      {count(r.lintCount, 'warn')}
    </tr>
  );
}
