import { memo, useCallback, useEffect, useState } from 'react';
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
import type { ListQuery } from '../../state/session-list-model.ts';
import type { SessionSort } from '../../../../shared/protocol.ts';
import { prefetchSessionView } from '../App/views.ts';
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

/** Sortable columns: header text, the hub's sort key, the first click's direction, class. */
const COLUMNS: [string, SessionSort | null, 'asc' | 'desc', string, string?][] = [
  ['Session', 'started', 'desc', ''],
  ['Client', 'client', 'asc', 'wide'],
  ['User', 'user', 'asc', 'wide'],
  [
    'Client ID',
    'clientName',
    'asc',
    'wide',
    'The name and version the client sent with ID (RFC 2971)',
  ],
  ['Upstream', 'upstream', 'asc', 'wide'],
  ['State', 'state', 'asc', ''],
  ['Started', 'started', 'desc', 'wide'],
  ['Duration', 'duration', 'desc', 'wide'],
  ['End', 'reason', 'asc', 'wide', 'How the session ended, or live'],
  ['Bytes ↑ / ↓', 'bytes', 'desc', 'wide'],
  [
    'Gaps',
    'gaps',
    'desc',
    '',
    'Inspection gaps (--inspection best-effort): bytes relayed that inspection never saw',
  ],
  ['NO', 'no', 'desc', '', 'Commands answered NO'],
  ['BAD', 'bad', 'desc', '', 'Commands answered BAD'],
  ['Lints', 'lints', 'desc', '', 'Lints: protocol mistakes explained'],
];

const count = new Intl.NumberFormat('en');

/**
 * The sessions of the whole archive, a page at a time: the hub pages, sorts (click a column)
 * and searches (traffic, mailbox names, headers, users, clients); live sessions merge in at
 * the top of the first page.
 */
export function SessionList({ store, onOpen }: { store: AppStore; onOpen: (id: string) => void }) {
  useEmitter(store.list.emitter);
  const list = store.list;
  const q = list.query;
  const [text, setText] = useState(q.text);
  const [filterText, setFilterText] = useState(q.filter);
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  // The search runs on the hub, a moment after typing stops.
  useEffect(() => {
    if (text === list.query.text) return;
    const t = setTimeout(() => void store.loadList({ ...list.query, text, offset: 0 }), 250);
    return () => clearTimeout(t);
  }, [text, store, list]);
  // The display filter searches the archive's events on the hub: asked for once typing stops.
  useEffect(() => {
    if (filterText === list.query.filter) return;
    const t = setTimeout(
      () => void store.loadList({ ...list.query, filter: filterText, offset: 0 }),
      400,
    );
    return () => clearTimeout(t);
  }, [filterText, store, list]);

  const rows = list.pageRows();
  const [selected, setSelected] = useListKeys(rows.length, (i) => {
    const r = rows[i];
    if (r) onOpen(r.id);
  });
  const open = useCallback(
    (id: string, index: number) => {
      setSelected(index);
      onOpen(id);
    },
    [setSelected, onOpen],
  );
  const go = (change: Partial<ListQuery>): void => void store.loadList({ ...q, ...change });
  const filtered = q.text.trim() !== '' || q.state !== '' || q.filter.trim() !== '';

  if (store.ready && list.loaded && list.total === 0 && !filtered) {
    return <EmptyState listen={store.listen} />;
  }
  const first = q.offset + 1;
  const last = q.offset + rows.length - list.freshCount;
  // A display filter's search may stop before the end of the list: its total is then "N+".
  const totalText = `${count.format(list.total)}${list.totalExact ? '' : '+'}`;
  const searched = list.searched
    ? ` · searched ${count.format(list.searched.sessions)} of ${count.format(list.searched.of)}`
    : '';
  return (
    <div className="list-page">
      <div className="filters">
        <input
          type="search"
          placeholder="Search sessions: commands, responses, mailboxes, subjects, users, clients…"
          value={text}
          onChange={(e) => setText(e.target.value)}
          aria-label="Search sessions"
          data-testid="session-search"
        />
        <input
          type="search"
          className="display-filter"
          placeholder="Display filter: cmd:FETCH status:NO latency>100ms"
          value={filterText}
          onChange={(e) => setFilterText(e.target.value)}
          aria-label="Display filter: sessions holding a matching exchange"
          title="Only sessions holding a match of this display filter (the session view's filter language)"
          data-testid="session-display-filter"
        />
        <select
          value={q.state}
          onChange={(e) => go({ state: e.target.value, offset: 0 })}
          aria-label="State"
        >
          {STATE_FILTERS.map(([v, label]) => (
            <option key={v} value={v}>
              {label}
            </option>
          ))}
        </select>
        <span className="spacer" />
        <span className="muted" data-testid="session-count">
          {list.loading && !list.loaded
            ? 'loading…'
            : list.total === 0
              ? `${list.totalExact ? '0 sessions' : 'none found yet'}${searched}`
              : `${count.format(Math.min(first, list.total))}–${count.format(Math.max(last, 0))} of ${totalText} session${list.total === 1 && list.totalExact ? '' : 's'}${searched}`}
        </span>
        <button
          type="button"
          disabled={q.offset === 0}
          onClick={() => go({ offset: Math.max(0, q.offset - q.limit) })}
          data-testid="page-previous"
        >
          ‹ Newer
        </button>
        <button
          type="button"
          disabled={q.offset + q.limit >= list.total}
          onClick={() => go({ offset: q.offset + q.limit })}
          data-testid="page-next"
        >
          Older ›
        </button>
      </div>
      {list.error ? <p className="error">{list.error}</p> : null}
      {/* The session view's code comes while the pointer heads for a row (views.ts). */}
      <table className="sessions" data-testid="session-list" onPointerOver={prefetchSessionView}>
        <thead>
          <tr>
            {COLUMNS.map(([label, sort, firstOrder, cls, title]) => {
              const active =
                sort !== null && q.sort === sort && (label !== 'Session' || q.sort !== 'started');
              return (
                <th
                  key={label}
                  className={[cls, sort !== null ? 'sortable' : ''].join(' ').trim()}
                  title={title ?? `Sort by ${label.toLowerCase()}`}
                  aria-sort={active ? (q.order === 'asc' ? 'ascending' : 'descending') : 'none'}
                  data-sort={sort ?? undefined}
                  onClick={() => {
                    if (sort === null) return;
                    const order =
                      q.sort === sort ? (q.order === 'asc' ? 'desc' : 'asc') : firstOrder;
                    go({ sort, order, offset: 0 });
                  }}
                >
                  {label}
                  {active ? (q.order === 'asc' ? ' ▲' : ' ▼') : ''}
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => (
            <SessionRowView
              key={r.id}
              {...r}
              index={i}
              now={r.endedAt === null ? now : 0}
              selected={i === selected}
              onOpen={open}
            />
          ))}
        </tbody>
      </table>
    </div>
  );
}

/**
 * One row. Its fields come as separate props, not the row object (which live events change in
 * place), so `memo` redraws it only when something it shows changed: a status change, the
 * snapshot or the clock (which only live rows show) no longer redraws the whole page.
 */
const SessionRowView = memo(function SessionRowView(
  props: SessionListRow & {
    index: number;
    /** The clock for a live row's duration; 0 for an ended row. */
    now: number;
    selected: boolean;
    onOpen: (id: string, index: number) => void;
  },
) {
  const { now, ...r } = props;
  const live = r.endedAt === null;
  const end = formatEnd(live ? null : r.reason);
  const count = (n: number, cls: string, title = '', testId?: string) => {
    const known = r.countsExact || n > 0;
    return (
      <td
        className={`num ${n === 0 ? 'zero' : cls}`}
        title={known ? title : 'seen live only'}
        data-testid={testId}
      >
        {known ? n : '·'}
      </td>
    );
  };
  return (
    <tr
      className={[props.selected ? 'selected' : '', end.failed ? 'failed' : ''].join(' ').trim()}
      onClick={() => props.onOpen(r.id, props.index)}
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
      <td className="wide" data-testid="client-id">
        {r.clientName !== null ? (
          <>
            {r.clientName}
            {r.clientVersion !== null ? <span className="muted"> {r.clientVersion}</span> : null}
          </>
        ) : (
          <span className="muted">–</span>
        )}
      </td>
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
      {/* Best-effort inspection's holes: next to the bytes, visible on a phone too. */}
      {count(
        r.gapCount,
        'err',
        r.gapCount > 0
          ? `${r.gapCount} inspection gap${r.gapCount === 1 ? '' : 's'}: ${formatBytes(r.gapBytes)} not inspected`
          : '',
        'gaps',
      )}
      {count(r.noCount, 'warn')}
      {count(r.badCount, 'err')}
      {count(r.lintCount, 'warn')}
    </tr>
  );
});
