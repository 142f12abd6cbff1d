// @vitest-environment happy-dom
import { cleanup, fireEvent, render, waitFor } from '@testing-library/react';
import { createElement as h } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SessionRow } from '../../shared/protocol.ts';
import { newSessionRow } from '../../shared/session-row.ts';
import { SessionList } from '../../viewer/src/components/SessionList/session-list.tsx';
import { AppStore } from '../../viewer/src/state/app-store.ts';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const rows = (n: number): SessionRow[] =>
  Array.from({ length: n }, (_, i) => ({ ...newSessionRow(`s${i}`, 1_000 + i), user: 'u' }));

/**
 * The hub's `GET /api/sessions`, answering as a display filter's search does: `exact` false
 * when it stopped before the end of the list. Records the URLs asked for.
 */
function hub(answer: { rows: number; total: number; exact: boolean; searched?: number }): {
  urls: URL[];
} {
  const urls: URL[] = [];
  vi.stubGlobal('fetch', (input: string) => {
    const url = new URL(input, 'http://viewer.test');
    urls.push(url);
    const headers: Record<string, string> = {
      'x-total-count': String(answer.total),
      'x-total-exact': String(answer.exact),
      'x-last-gseq': '0',
    };
    if (answer.searched !== undefined) {
      headers['x-filter-searched'] = String(answer.searched);
      headers['x-filter-sessions'] = '100000';
    }
    return Promise.resolve(new Response(JSON.stringify(rows(answer.rows)), { headers }));
  });
  return { urls };
}

describe('the session list with a display filter', () => {
  it('asks the hub for the filter typed, and shows a total that is a lower bound as "N+" with how far the search got', async () => {
    const { urls } = hub({ rows: 50, total: 51, exact: false, searched: 2_000 });
    const store = new AppStore(null);
    const view = render(h(SessionList, { store, onOpen: () => {} }));
    fireEvent.change(view.getByTestId('session-display-filter'), {
      target: { value: 'status:BAD' },
    });
    await waitFor(() =>
      expect(urls.some((u) => u.searchParams.get('filter') === 'status:BAD')).toBe(true),
    );
    const count = view.getByTestId('session-count');
    await waitFor(() =>
      expect(count.textContent).toBe('1–50 of 51+ sessions · searched 2,000 of 100,000'),
    );
    // More matches exist past the page: the next page can be asked for.
    expect((view.getByTestId('page-next') as HTMLButtonElement).disabled).toBe(false);
  });

  it('shows an exact total as it is, and "none found yet" when a search stopped with nothing', async () => {
    hub({ rows: 3, total: 3, exact: true });
    const store = new AppStore(null);
    const view = render(h(SessionList, { store, onOpen: () => {} }));
    await store.loadList({ ...store.list.query, filter: 'cmd:MOVE' });
    await waitFor(() =>
      expect(view.getByTestId('session-count').textContent).toBe('1–3 of 3 sessions'),
    );
    expect((view.getByTestId('page-next') as HTMLButtonElement).disabled).toBe(true);

    cleanup();
    hub({ rows: 0, total: 0, exact: false, searched: 20_000 });
    const stopped = new AppStore(null);
    const again = render(h(SessionList, { store: stopped, onOpen: () => {} }));
    await stopped.loadList({ ...stopped.list.query, filter: 'uid:4711' });
    await waitFor(() =>
      expect(again.getByTestId('session-count').textContent).toBe(
        'none found yet · searched 20,000 of 100,000',
      ),
    );
  });
});
