import { memo } from 'react';
import type { ReactNode } from 'react';
import type { ImapscopeEvent } from '../../../../shared/events.ts';
import { formatLatency, formatTime } from '../../format.ts';
import type { FlatRow, Group, SessionModel } from '../../state/session-model.ts';
import { Markdown } from '../Teach/markdown.tsx';
import { describe, firstLine } from './describe.ts';

interface RowProps {
  model: SessionModel;
  row: FlatRow;
  index: number;
  seq: number;
  top: number;
  selected: boolean;
  /** The display filter matches this row. */
  matched?: boolean;
  onSelect: (index: number) => void;
  onToggle: (index: number) => void;
}

/**
 * One timeline row: a command group, one of its answers, or an inline event. Memoized: while
 * scrolling only rows entering the window render (a changed group gets a new `row` object).
 */
export const TimelineRow = memo(function TimelineRow(p: RowProps) {
  const style = { transform: `translateY(${p.top}px)` };
  const sel = (p.selected ? ' selected' : '') + (p.matched ? ' match' : '');
  const common = {
    style,
    onClick: () => p.onSelect(p.index),
    'data-seq': p.seq,
    role: 'row',
    'aria-selected': p.selected,
  };
  if (p.row.kind === 'child') {
    const e = p.model.events[p.seq];
    const dir = e && (e.type === 'message' || e.type === 'malformed') ? e.direction : 's2c';
    return (
      <div className={`row child${sel}`} {...common}>
        <span className={`dir ${dir}`}>{dir === 'c2s' ? 'C:' : 'S:'}</span>
        <span className="text">{e ? describe(e) : `#${p.seq}`}</span>
      </div>
    );
  }
  const entry = p.row.entry;
  if (entry.kind === 'group') {
    return <GroupRow {...p} group={entry} common={common} sel={sel} />;
  }
  const e = p.model.events[entry.seq];
  if (!e) return null;
  return (
    <div className={`row ${singleClass(e)}${sel}`} {...common}>
      <span className="time">{formatTime(e.at)}</span>
      <span className="twisty" />
      <SingleText e={e} />
    </div>
  );
});

function GroupRow(p: RowProps & { group: Group; common: Record<string, unknown>; sel: string }) {
  const g = p.group;
  const cmd = p.model.events[g.seq];
  const x = g.exchange;
  const status = x ? x.status : 'pending';
  const open = p.model.isExpanded(g);
  const raw = cmd && cmd.type === 'message' ? cmd.message.raw : `${g.tag} ${g.command}`;
  const rest = firstLine(raw).slice(g.tag.length + 1);
  const untagged = x ? x.untaggedCount : g.children.length;
  return (
    <div className={`row group status-${status}${p.sel}`} {...p.common} data-status={status}>
      <span className="time">{formatTime(g.at)}</span>
      <span
        className="twisty"
        onClick={(e) => {
          e.stopPropagation();
          p.onToggle(p.index);
        }}
        title={open ? 'Collapse' : 'Show the responses'}
      >
        {open ? '▾' : '▸'}
      </span>
      <span className="dir c2s">C:</span>
      <span className="text">
        <span className="tag">{g.tag}</span> <span className="cmd">{rest}</span>
      </span>
      {g.lints.length > 0 ? (
        <span className="badge lints" title="Lints about this exchange">
          ⚠ {g.lints.length}
        </span>
      ) : null}
      <span className="count" title="Untagged responses">
        {untagged > 0 ? `${untagged} ∗` : ''}
      </span>
      <Latency ms={x?.latencyMs ?? null} max={p.model.maxLatencyMs} />
      <span className={`badge ${status}`}>{status === 'pending' ? '…' : status}</span>
    </div>
  );
}

/** Latency as a bar on a log scale against the session's slowest exchange. */
function Latency({ ms, max }: { ms: number | null; max: number }) {
  if (ms === null) return <span className="latency" />;
  const frac = max > 0 ? Math.log1p(ms) / Math.log1p(max) : 0;
  return (
    <span className="latency" title={`${ms.toFixed(3)} ms from command to completion`}>
      <span className="bar" style={{ width: `${Math.max(2, frac * 56)}px` }} />
      <span className="ms">{formatLatency(ms)}</span>
    </span>
  );
}

function singleClass(e: ImapscopeEvent): string {
  switch (e.type) {
    case 'lint':
      return `lint ${e.severity}`;
    case 'state.change':
      return 'statechange';
    case 'message':
      return e.unsolicited ? 'unsolicited' : 'message';
    case 'malformed':
      return 'status-BAD';
    default:
      return 'note';
  }
}

function SingleText({ e }: { e: ImapscopeEvent }) {
  if (e.type === 'message' || e.type === 'malformed') {
    const dir = e.direction;
    return (
      <>
        <span className={`dir ${dir}`}>{dir === 'c2s' ? 'C:' : 'S:'}</span>
        <span className="text">
          {describe(e)}
          {e.type === 'message' && e.unsolicited ? (
            <span className="muted"> · unsolicited</span>
          ) : null}
        </span>
      </>
    );
  }
  const icon: ReactNode =
    e.type === 'lint' ? (
      e.severity === 'error' ? (
        '✖'
      ) : e.severity === 'warning' ? (
        '⚠'
      ) : (
        'ℹ'
      )
    ) : e.type === 'state.change' ? (
      '⇢'
    ) : e.type === 'tls.established' ? (
      <LockIcon />
    ) : e.type === 'compress.started' ? (
      '⇲'
    ) : (
      '·'
    );
  return (
    <>
      <span className="dir">{icon}</span>
      <span className="text">
        {e.type === 'lint' ? (
          <>
            <Markdown text={e.title} />
            <small className="lint-code">{e.code}</small>
          </>
        ) : (
          describe(e)
        )}
      </span>
    </>
  );
}

/**
 * A padlock drawn inline: the font-dependent ⚿ (U+26BF) rendered as an empty box where the
 * system has no glyph for it.
 */
export function LockIcon() {
  return (
    <svg
      className="icon"
      viewBox="0 0 16 16"
      width="13"
      height="13"
      role="img"
      aria-label="TLS"
      data-testid="lock-icon"
    >
      <rect x="2.5" y="7" width="11" height="8" rx="1.5" fill="currentColor" />
      <path d="M5 7V5a3 3 0 0 1 6 0v2" fill="none" stroke="currentColor" strokeWidth="1.8" />
    </svg>
  );
}
