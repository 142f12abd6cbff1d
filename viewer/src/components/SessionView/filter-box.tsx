import { useDeferredValue, useMemo, useRef } from 'react';
import type { ImapscopeEvent } from '../../../../shared/events.ts';
import { parseFilter } from '../../../../shared/filter.ts';
import type { FilterError } from '../../../../shared/filter.ts';
import { matchingSeqs } from '../../../../shared/filter-match.ts';
import type { SessionModel } from '../../state/session-model.ts';

export interface FilterResult {
  /** Seqs of the matching timeline rows (commands for exchanges), sorted; null with no filter. */
  matches: number[] | null;
  error: FilterError | null;
}

/**
 * The display filter (docs/filter.md) over the open session's events, recomputed when the
 * text changes or events arrive (`applied` moves). The text is deferred, so typing stays
 * responsive in a long session.
 */
export function useSessionFilter(model: SessionModel, text: string): FilterResult {
  const deferred = useDeferredValue(text);
  const applied = model.applied;
  return useMemo(() => {
    if (deferred.trim() === '') return { matches: null, error: null };
    const parsed = parseFilter(deferred);
    if (!parsed.ok) return { matches: null, error: parsed.error };
    const events = model.events.filter((e): e is ImapscopeEvent => e !== undefined);
    return { matches: matchingSeqs(events, parsed.filter), error: null };
    // `applied` stands for the model's events, which change in place.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [deferred, model, applied]);
}

/**
 * The seq of the next (or previous) match after the row showing `from`, wrapping around; the
 * first (last) match when nothing is selected.
 */
export function stepMatch(
  matches: readonly number[],
  from: number | null,
  dir: 1 | -1,
): number | null {
  if (matches.length === 0) return null;
  if (from === null) return dir === 1 ? matches[0]! : matches[matches.length - 1]!;
  if (dir === 1) return matches.find((s) => s > from) ?? matches[0]!;
  return matches.findLast((s) => s < from) ?? matches[matches.length - 1]!;
}

/**
 * The filter box over the timeline: the filter, "n of m" matches, previous/next. Enter and
 * Shift+Enter in the box step through matches, as do `n` / `N` elsewhere and `/` focuses it
 * (session-view.tsx). A mistake is shown under the box with its span marked.
 */
export function FilterBox(props: {
  text: string;
  onText: (text: string) => void;
  result: FilterResult;
  /** Index of the selected row among the matches, or -1. */
  current: number;
  onStep: (dir: 1 | -1) => void;
  inputRef?: React.RefObject<HTMLInputElement | null>;
}) {
  const { text, result, current } = props;
  const own = useRef<HTMLInputElement>(null);
  const ref = props.inputRef ?? own;
  const n = result.matches?.length ?? 0;
  const e = result.error;
  return (
    <div className="filter-box" data-testid="filter-box">
      <div className="filter-line">
        <input
          ref={ref}
          type="search"
          className={e ? 'invalid' : undefined}
          placeholder='Display filter: cmd:FETCH status:NO latency>100ms uid:4711 text:"Subject: …"'
          value={text}
          spellCheck={false}
          onChange={(ev) => props.onText(ev.target.value)}
          onKeyDown={(ev) => {
            if (ev.key === 'Enter') {
              ev.preventDefault();
              props.onStep(ev.shiftKey ? -1 : 1);
            } else if (ev.key === 'Escape') {
              ev.stopPropagation();
              if (text) props.onText('');
              else ref.current?.blur();
            }
          }}
          aria-label="Display filter"
          aria-invalid={e !== null}
          data-testid="filter-input"
        />
        <span className="filter-count" data-testid="filter-count" aria-live="polite">
          {result.matches === null
            ? ''
            : n === 0
              ? 'no match'
              : current >= 0
                ? `${current + 1} of ${n}`
                : `${n} match${n === 1 ? '' : 'es'}`}
        </span>
        <button
          type="button"
          onClick={() => props.onStep(-1)}
          disabled={n === 0}
          title="Previous match (Shift+Enter, N)"
          aria-label="Previous match"
          data-testid="filter-prev"
        >
          ↑
        </button>
        <button
          type="button"
          onClick={() => props.onStep(1)}
          disabled={n === 0}
          title="Next match (Enter, n)"
          aria-label="Next match"
          data-testid="filter-next"
        >
          ↓
        </button>
      </div>
      {e ? (
        <div className="filter-error" role="alert" data-testid="filter-error">
          <code>
            {text.slice(0, e.start)}
            <mark>{text.slice(e.start, e.end) || ' '}</mark>
            {text.slice(e.end)}
          </code>
          <span>{e.message}</span>
        </div>
      ) : null}
    </div>
  );
}
