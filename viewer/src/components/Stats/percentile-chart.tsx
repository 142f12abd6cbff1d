import { useEffect, useRef, useState } from 'react';
import type { CommandStats } from '../../../../shared/stats.ts';
import { formatLatency } from '../../format.ts';

const ROW = 26;
const TOP = 8;
const AXIS = 26;
/** Width of the command labels on the left. */
const LABEL = 128;
const RIGHT = 16;

/** Axis ticks on the log scale: 0.1 ms … 100 s. */
const TICKS = [0.1, 1, 10, 100, 1_000, 10_000, 100_000];

export function rowLabel(s: CommandStats): string {
  return s.group === null ? s.command : `${s.command} · ${s.group || '–'}`;
}

/**
 * The log scale's ends, in ms: powers of ten around every p50 and maximum, at least 1 to 10 ms
 * and never below the first tick (0.1 ms). A latency of 0 ms (a fast server, whole-ms clocks)
 * once made the lower end 0 and every mark NaN, drawn at the chart's left edge.
 */
export function logRange(rows: readonly Pick<CommandStats, 'p50' | 'max'>[]): {
  min: number;
  max: number;
} {
  const lo = Math.max(TICKS[0]!, Math.min(1, ...rows.map((r) => r.p50 ?? 1)));
  const hi = Math.max(10, ...rows.map((r) => r.max ?? 10));
  return { min: 10 ** Math.floor(Math.log10(lo)), max: 10 ** Math.ceil(Math.log10(hi)) };
}

/**
 * A percentile plot per command on a log scale of milliseconds: a bar from p50 to p95, a
 * line on to the maximum, ticks at p50 and p99 and a dot at the maximum. Drawn as SVG by hand:
 * four marks per row do not need a charting library, and this way the chart follows the
 * viewer's theme (CSS variables) and its width (a ResizeObserver) without a dependency.
 */
export function PercentileChart({ rows }: { rows: readonly CommandStats[] }) {
  const box = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(720);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setWidth(Math.max(280, el.clientWidth)));
    ro.observe(el);
    setWidth(Math.max(280, el.clientWidth));
    return () => ro.disconnect();
  }, []);
  const timed = rows.filter((r) => r.p50 !== null && r.max !== null);
  const label = width < 500 ? 92 : LABEL;
  const { min, max } = logRange(timed);
  const plot = width - label - RIGHT;
  const x = (ms: number): number =>
    label + (Math.log10(Math.max(ms, min) / min) / Math.log10(max / min)) * plot;
  const height = TOP + timed.length * ROW + AXIS;
  const ticks = TICKS.filter((t) => t >= min && t <= max);
  return (
    <div className="chart" ref={box}>
      {timed.length === 0 ? (
        <p className="muted">No completed exchanges to chart.</p>
      ) : (
        <svg
          width={width}
          height={height}
          viewBox={`0 0 ${width} ${height}`}
          role="img"
          aria-label="Latency percentiles per command"
          data-testid="percentile-chart"
        >
          {ticks.map((t) => (
            <g key={t}>
              <line className="grid" x1={x(t)} x2={x(t)} y1={TOP} y2={height - AXIS} />
              <text className="axis" x={x(t)} y={height - 8} textAnchor="middle">
                {t < 1 ? `${t} ms` : t < 1000 ? `${t} ms` : `${t / 1000} s`}
              </text>
            </g>
          ))}
          {timed.map((r, i) => {
            const y = TOP + i * ROW + ROW / 2;
            const p50 = x(r.p50!);
            const p95 = x(r.p95 ?? r.p50!);
            const p99 = x(r.p99 ?? r.p95 ?? r.p50!);
            const mx = x(r.max!);
            const failed = r.no + r.bad > 0;
            return (
              <g key={`${r.command}\0${r.group ?? ''}`} className={failed ? 'failed' : undefined}>
                <title>
                  {`${rowLabel(r)}: ${r.count} exchanges, p50 ${formatLatency(r.p50!)}, p95 ${formatLatency(r.p95 ?? r.p50!)}, p99 ${formatLatency(r.p99 ?? r.p50!)}, max ${formatLatency(r.max!)}`}
                </title>
                <text className="label" x={label - 8} y={y + 4} textAnchor="end">
                  {rowLabel(r).length > 18 && label < LABEL
                    ? `${rowLabel(r).slice(0, 16)}…`
                    : rowLabel(r)}
                </text>
                <line className="whisker" x1={p95} x2={mx} y1={y} y2={y} />
                <rect
                  className="iqr"
                  x={p50}
                  y={y - 6}
                  width={Math.max(2, p95 - p50)}
                  height={12}
                  rx={2}
                />
                <line className="p50" x1={p50} x2={p50} y1={y - 8} y2={y + 8} />
                <line className="p99" x1={p99} x2={p99} y1={y - 6} y2={y + 6} />
                <circle className="max" cx={mx} cy={y} r={3} />
              </g>
            );
          })}
        </svg>
      )}
      <p className="legend muted">
        <span className="key iqr" /> p50 to p95 <span className="key p99" /> p99{' '}
        <span className="key max" /> max — log scale
      </p>
    </div>
  );
}
