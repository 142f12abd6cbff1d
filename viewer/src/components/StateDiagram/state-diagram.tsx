import type { ImapState, StateChangeEvent } from '../../../../shared/events.ts';
import { IMAP_STATES } from '../../../../shared/events.ts';
import { STATE_LABELS } from '../../format.ts';

/** Where each state sits (RFC 9051 §3's figure, turned on its side). */
const POS: Record<ImapState, { x: number; y: number }> = {
  'not-authenticated': { x: 75, y: 45 },
  authenticated: { x: 235, y: 45 },
  selected: { x: 395, y: 45 },
  logout: { x: 235, y: 155 },
};
const W = 140;
const H = 34;

/** The transitions a session can make, each drawn once; label: what usually causes it. */
const EDGES: {
  from: ImapState;
  to: ImapState;
  label: string;
  d: string;
  lx: number;
  ly: number;
}[] = [
  {
    from: 'not-authenticated',
    to: 'authenticated',
    label: 'LOGIN',
    d: 'M145,39 L163,39',
    lx: 155,
    ly: 22,
  },
  { from: 'authenticated', to: 'selected', label: 'SELECT', d: 'M305,39 L323,39', lx: 315, ly: 22 },
  { from: 'selected', to: 'authenticated', label: 'CLOSE', d: 'M325,52 L307,52', lx: 315, ly: 76 },
  {
    from: 'selected',
    to: 'selected',
    label: 'SELECT',
    d: 'M440,28 C446,4 482,14 467,38',
    lx: 450,
    ly: 8,
  },
  {
    from: 'not-authenticated',
    to: 'logout',
    label: 'LOGOUT',
    d: 'M75,62 C75,125 115,155 163,155',
    lx: 88,
    ly: 124,
  },
  { from: 'authenticated', to: 'logout', label: 'LOGOUT', d: 'M235,62 L235,136', lx: 258, ly: 104 },
  {
    from: 'selected',
    to: 'logout',
    label: 'LOGOUT',
    d: 'M395,62 C395,125 355,155 307,155',
    lx: 382,
    ly: 124,
  },
];

function edgeKey(from: ImapState, to: ImapState): string {
  return `${from}>${to}`;
}

export interface StateDiagramProps {
  current: ImapState;
  path: readonly StateChangeEvent[];
  /**
   * Steps of `path` taken as of the selected row (default: all, the live state). Later steps
   * stay listed, muted, so a learner can jump ahead.
   */
  taken?: number;
  /** Says what `current` is: the live state, or the state as of the selected row. */
  caption?: string;
  /** Jump to the message that caused a transition. */
  onJump: (seq: number) => void;
}

/**
 * The four IMAP states with the current one filled, the transitions this session made drawn
 * bold, and its path below as steps; clicking an edge or a step jumps to the causing command.
 */
export function StateDiagram(props: StateDiagramProps) {
  const { current, path, onJump, taken = path.length, caption } = props;
  const done = path.slice(0, taken);
  const visited = new Set<ImapState>(['not-authenticated', ...done.map((p) => p.to)]);
  if (path[0]) visited.add(path[0].from);
  const lastOnEdge = new Map<string, StateChangeEvent>();
  const timesOnEdge = new Map<string, number>();
  for (const p of done) {
    const k = edgeKey(p.from, p.to);
    lastOnEdge.set(k, p);
    timesOnEdge.set(k, (timesOnEdge.get(k) ?? 0) + 1);
  }
  return (
    <section className="panel diagram" data-testid="state-diagram">
      <h3>
        State
        {caption ? (
          <span className="caption" data-testid="state-caption">
            {' '}
            · {caption}
          </span>
        ) : null}
      </h3>
      <svg viewBox="0 0 490 180" role="img" aria-label={`IMAP state: ${STATE_LABELS[current]}`}>
        <defs>
          <marker
            id="arrow"
            viewBox="0 0 10 10"
            refX="9"
            refY="5"
            markerWidth="6"
            markerHeight="6"
            orient="auto-start-reverse"
          >
            <path d="M0,0 L10,5 L0,10 z" className="arrow" />
          </marker>
          <marker
            id="arrow-taken"
            viewBox="0 0 10 10"
            refX="9"
            refY="5"
            markerWidth="6"
            markerHeight="6"
            orient="auto-start-reverse"
          >
            <path d="M0,0 L10,5 L0,10 z" className="arrow-taken" />
          </marker>
        </defs>
        {EDGES.map((e) => {
          const k = edgeKey(e.from, e.to);
          const last = lastOnEdge.get(k);
          const n = timesOnEdge.get(k) ?? 0;
          return (
            <g
              key={k}
              className={`edge${last ? ' taken' : ''}`}
              data-edge={k}
              onClick={last ? () => onJump(last.cause.seq) : undefined}
            >
              <title>
                {last
                  ? `${STATE_LABELS[e.from]} → ${STATE_LABELS[e.to]}: ${n}× (last by ${last.cause.tag ?? ''} ${last.cause.command ?? last.cause.text}); click to jump`
                  : `${STATE_LABELS[e.from]} → ${STATE_LABELS[e.to]}`}
              </title>
              <path className="hit" d={e.d} />
              <path d={e.d} markerEnd={last ? 'url(#arrow-taken)' : 'url(#arrow)'} />
              <text x={e.lx} y={e.ly} textAnchor="middle">
                {last ? `${last.cause.command ?? e.label}${n > 1 ? ` ×${n}` : ''}` : e.label}
              </text>
            </g>
          );
        })}
        {IMAP_STATES.map((s) => {
          const p = POS[s];
          const cls = `node${visited.has(s) ? ' visited' : ''}${s === current ? ' current' : ''}`;
          return (
            <g key={s} className={cls} data-state={s} aria-current={s === current}>
              <rect x={p.x - W / 2} y={p.y - H / 2} width={W} height={H} rx={8} />
              <text x={p.x} y={p.y + 4} textAnchor="middle">
                {STATE_LABELS[s]}
              </text>
            </g>
          );
        })}
      </svg>
      <ol className="path" data-testid="state-path">
        <li className="muted">{STATE_LABELS[path[0]?.from ?? 'not-authenticated']}</li>
        {path.map((p, i) => (
          <li key={p.seq} className={i < taken ? undefined : 'later'}>
            →{' '}
            <button
              type="button"
              onClick={() => onJump(p.cause.seq)}
              title={`caused by ${p.cause.tag ?? ''} ${p.cause.command ?? p.cause.text}`}
              data-to={p.to}
            >
              {STATE_LABELS[p.to]}
              <span className="muted"> · {p.cause.command ?? p.cause.text}</span>
            </button>
          </li>
        ))}
      </ol>
    </section>
  );
}
