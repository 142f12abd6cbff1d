import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { AppStore } from '../../state/app-store.ts';
import { useEmitter } from '../../state/emitter.ts';
import type { SessionModel } from '../../state/session-model.ts';
import { rowSeq } from '../../state/session-model.ts';
import { Inspector } from '../Inspector/inspector.tsx';
import { typingIn } from '../SessionList/use-list-keys.ts';
import { StateDiagram } from '../StateDiagram/state-diagram.tsx';
import { TeachPanel } from '../Teach/teach-panel.tsx';
import { firstLine } from '../Timeline/describe.ts';
import { Timeline } from '../Timeline/timeline.tsx';
import { FilterBox, stepMatch, useSessionFilter } from './filter-box.tsx';
import { SessionBar } from './session-bar.tsx';

/** One session: its bar, the timeline, and beside it the state diagram, inspector and teach panel. */
export function SessionView(props: {
  store: AppStore;
  model: SessionModel;
  onBack: () => void;
  /** A row to open at (a command's seq), e.g. from the Audit view. */
  at?: number | null;
}) {
  const { store, model, onBack } = props;
  useEmitter(model.emitter);
  useEmitter(store.list.emitter);
  // Opened at a row (the Audit view's click-through): selected, and revealed once it is drawn.
  const [selectedSeq, setSelectedSeq] = useState<number | null>(props.at ?? null);
  const [follow, setFollow] = useState(
    () => props.at == null && store.list.get(model.id)?.endedAt === null,
  );
  /** While paused, the timeline shows this many entries and new ones wait. */
  const [pausedAt, setPausedAt] = useState<number | null>(null);
  const [reveal, setReveal] = useState(props.at == null ? 0 : 1);
  const rows = model.flat(pausedAt ?? Infinity);
  const selected = selectedSeq === null ? -1 : model.rowIndexOf(selectedSeq, rows);
  const waiting = pausedAt === null ? 0 : model.entries.length - pausedAt;
  // The diagram shows the live state while following, else the state as of the selected row.
  const asOf = follow || selectedSeq === null ? null : selectedSeq;
  const asOfEvent = asOf === null ? undefined : model.events[asOf];

  const select = useCallback(
    (index: number, scroll = false) => {
      const r = rows[index];
      if (!r) return;
      setSelectedSeq(rowSeq(r));
      // Choosing a row means looking back: stop following so the row (and the state diagram
      // as of it) stays put while new exchanges arrive. `f` follows again.
      setFollow(false);
      if (scroll) setReveal((n) => n + 1);
    },
    [rows],
  );
  const toggle = useCallback(
    (index: number) => {
      const r = rows[index];
      if (r?.kind === 'entry' && r.entry.kind === 'group') {
        model.setExpanded(r.entry, !model.isExpanded(r.entry));
      }
    },
    [rows, model],
  );
  const jump = useCallback((seq: number) => {
    setSelectedSeq(seq);
    setFollow(false);
    setReveal((n) => n + 1);
  }, []);

  // The display filter: matching rows are marked, and n / N (or the box's buttons) step.
  const [filterText, setFilterText] = useState('');
  const filter = useSessionFilter(model, filterText);
  const filterInput = useRef<HTMLInputElement>(null);
  const matchSet = useMemo(() => new Set(filter.matches ?? []), [filter.matches]);
  const selectedRowSeq =
    selectedSeq === null ? null : (model.groupOf(selectedSeq)?.seq ?? selectedSeq);
  const currentMatch =
    filter.matches && selectedRowSeq !== null ? filter.matches.indexOf(selectedRowSeq) : -1;
  const step = useCallback(
    (dir: 1 | -1) => {
      const seq = stepMatch(filter.matches ?? [], selectedRowSeq, dir);
      if (seq !== null) jump(seq);
    },
    [filter.matches, selectedRowSeq, jump],
  );

  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (typingIn(e) || e.ctrlKey || e.metaKey || e.altKey) return;
      if (e.key === 'j' || e.key === 'ArrowDown')
        select(Math.min(rows.length - 1, selected + 1), true);
      else if (e.key === 'k' || e.key === 'ArrowUp') select(Math.max(0, selected - 1), true);
      else if (e.key === 'Enter' && selected >= 0) toggle(selected);
      else if (e.key === 'Escape') onBack();
      else if (e.key === 'f') setFollow((f) => !f);
      else if (e.key === 'n') step(1);
      else if (e.key === 'N') step(-1);
      else if (e.key === '/') filterInput.current?.focus();
      else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [rows.length, selected, select, toggle, onBack, step]);

  return (
    <>
      <SessionBar store={store} model={model} />
      <div className="session-body">
        <div className="timeline-pane">
          <div className="timeline-tools">
            <button
              type="button"
              aria-pressed={follow}
              onClick={() => setFollow((f) => !f)}
              title="Keep the newest exchange in view (f)"
              data-testid="follow"
            >
              ⇣ Follow
            </button>
            <button
              type="button"
              aria-pressed={pausedAt !== null}
              onClick={() => setPausedAt((p) => (p === null ? model.entries.length : null))}
              title="Freeze the timeline; new events wait"
              data-testid="pause"
            >
              {pausedAt === null ? '❚❚ Pause' : `▶ Resume${waiting > 0 ? ` (${waiting} new)` : ''}`}
            </button>
            <button type="button" onClick={() => expandAll(model, true)}>
              Expand all
            </button>
            <button type="button" onClick={() => expandAll(model, false)}>
              Collapse all
            </button>
            <span className="spacer" />
            <span data-testid="row-count">
              {model.entries.length.toLocaleString()} rows · {model.applied.toLocaleString()} events
              {model.caughtUp ? '' : ' · loading…'}
            </span>
          </div>
          <FilterBox
            text={filterText}
            onText={setFilterText}
            result={filter}
            current={currentMatch}
            onStep={step}
            inputRef={filterInput}
          />
          {store.sessionError ? <div className="panel muted">{store.sessionError}</div> : null}
          <Timeline
            model={model}
            rows={rows}
            selected={selected}
            onSelect={select}
            onToggle={toggle}
            follow={follow}
            reveal={reveal}
            onScrolledAway={() => setFollow(false)}
            matches={filter.matches ? matchSet : null}
          />
        </div>
        <aside className="side">
          <StateDiagram
            current={asOf === null ? model.state : model.stateAsOf(asOf)}
            path={model.path}
            taken={asOf === null ? model.path.length : model.stepsAsOf(asOf)}
            caption={
              asOf === null
                ? follow && !model.closed
                  ? 'live'
                  : 'now'
                : `as of #${asOf}${asOfEvent?.type === 'message' ? ` ${firstLine(asOfEvent.message.raw).slice(0, 24)}` : ''}`
            }
            onJump={jump}
          />
          <TeachPanel model={model} seq={selectedSeq} />
          <Inspector model={model} seq={selectedSeq} token={store.token} />
        </aside>
      </div>
    </>
  );
}

function expandAll(model: SessionModel, open: boolean): void {
  for (const e of model.entries) if (e.kind === 'group') model.setExpanded(e, open);
}
