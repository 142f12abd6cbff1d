import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useRef } from 'react';
import type { FlatRow, SessionModel } from '../../state/session-model.ts';
import { rowSeq } from '../../state/session-model.ts';
import { TimelineRow } from './timeline-row.tsx';

/** Row height in px; fixed, so 100,000 rows cost nothing to measure. */
export const ROW_HEIGHT = 26;

export interface TimelineProps {
  model: SessionModel;
  rows: readonly FlatRow[];
  selected: number;
  onSelect: (index: number) => void;
  onToggle: (index: number) => void;
  /** Keep the newest row in view as rows arrive. */
  follow: boolean;
  /** Bumped to scroll the selected row into view (jumps from the state diagram, keys). */
  reveal: number;
  /** Called when the user scrolls away from the bottom (follow mode ends). */
  onScrolledAway: () => void;
  /** Seqs of the rows the display filter matches (null: no filter), to mark them. */
  matches?: ReadonlySet<number> | null;
}

/** The exchange timeline: a virtualized list, so a session of any length scrolls smoothly. */
export function Timeline(props: TimelineProps) {
  const { model, rows, selected, follow } = props;
  const parent = useRef<HTMLDivElement>(null);
  // The viewer does not use the React Compiler, so the virtualizer's unmemoizable API is fine.
  // eslint-disable-next-line react-hooks/incompatible-library
  const v = useVirtualizer({
    count: rows.length,
    getScrollElement: () => parent.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 20,
    // Draw a screenful on the first render, before the scroll box has been measured.
    initialRect: { width: 1000, height: 800 },
  });
  useEffect(() => {
    if (follow && rows.length > 0) v.scrollToIndex(rows.length - 1, { align: 'end' });
  }, [follow, rows.length, v]);
  useEffect(() => {
    if (props.reveal > 0 && selected >= 0) v.scrollToIndex(selected, { align: 'auto' });
  }, [props.reveal, selected, v]);
  const onScrolledAway = props.onScrolledAway;
  return (
    <div
      className="timeline"
      ref={parent}
      data-testid="timeline"
      onWheel={(e) => {
        if (follow && e.deltaY < 0) onScrolledAway();
      }}
    >
      <div style={{ height: v.getTotalSize(), position: 'relative' }}>
        {v.getVirtualItems().map((item) => {
          const row = rows[item.index]!;
          return (
            <TimelineRow
              key={row.kind === 'entry' ? `e${row.entry.seq}` : `c${row.group.seq}.${row.seq}`}
              model={model}
              row={row}
              top={item.start}
              selected={item.index === selected}
              index={item.index}
              onSelect={props.onSelect}
              onToggle={props.onToggle}
              seq={rowSeq(row)}
              matched={props.matches?.has(rowSeq(row)) ?? false}
            />
          );
        })}
      </div>
    </div>
  );
}
