/**
 * What the archive query pages (Audit, Statistics) share: a query object edited field by field,
 * answered by the API after a short pause in typing, and a from/until time range.
 */
import { useEffect, useState, type Dispatch, type SetStateAction } from 'react';

/** A `datetime-local` value (local time) as the API's ISO time, or '' when empty or invalid. */
export function isoOf(local: string): string {
  if (local === '') return '';
  const t = new Date(local).getTime();
  return Number.isNaN(t) ? '' : new Date(t).toISOString();
}

/** How long typing must pause before the query is sent, ms. */
export const QUERY_DEBOUNCE_MS = 200;

/** An input's change handler that sets field `k` of the query. */
export function fieldSetter<Q>(setQ: Dispatch<SetStateAction<Q>>) {
  return (k: keyof Q) => (e: { target: { value: string } }) =>
    setQ((old) => ({ ...old, [k]: e.target.value }));
}

/**
 * Runs `load(q)` QUERY_DEBOUNCE_MS after the query last changed; its answer or its error
 * message is kept, and an answer to a query that has since changed is dropped.
 */
export function useDebouncedQuery<Q, R>(
  q: Q,
  load: (q: Q) => Promise<R>,
  deps: readonly unknown[],
): {
  result: R | null;
  error: string | null;
  setResult: Dispatch<SetStateAction<R | null>>;
  setError: Dispatch<SetStateAction<string | null>>;
} {
  const [result, setResult] = useState<R | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    const t = setTimeout(() => {
      load(q).then(
        (r) => {
          if (!live) return;
          setResult(r);
          setError(null);
        },
        (err: Error) => live && setError(err.message),
      );
    }, QUERY_DEBOUNCE_MS);
    return () => {
      live = false;
      clearTimeout(t);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- `load` is rebuilt every render
  }, [q, ...deps]);
  return { result, error, setResult, setError };
}

/** The from/until pair of `datetime-local` inputs. */
export function TimeRange(props: {
  since: string;
  until: string;
  onSince: (e: { target: { value: string } }) => void;
  onUntil: (e: { target: { value: string } }) => void;
}) {
  return (
    <>
      <label>
        from{' '}
        <input
          type="datetime-local"
          value={props.since}
          onChange={props.onSince}
          aria-label="From"
        />
      </label>
      <label>
        until{' '}
        <input
          type="datetime-local"
          value={props.until}
          onChange={props.onUntil}
          aria-label="Until"
        />
      </label>
    </>
  );
}
