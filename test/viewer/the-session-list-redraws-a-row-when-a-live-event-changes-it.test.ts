// @vitest-environment happy-dom
import { act, cleanup, fireEvent, render } from '@testing-library/react';
import { createElement as h } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ImapscopeEvent } from '../../shared/events.ts';
import type { SessionRow } from '../../shared/protocol.ts';
import { newSessionRow } from '../../shared/session-row.ts';
import { SessionList } from '../../viewer/src/components/SessionList/session-list.tsx';
import { AppStore } from '../../viewer/src/state/app-store.ts';

afterEach(cleanup);

/** Lets the emitters' animation-frame notifications and React's updates run. */
const frames = (): Promise<void> => act(() => new Promise((r) => setTimeout(r, 50)));

const at = 1_700_000_000_000;

function live(id: string): SessionRow {
  return { ...newSessionRow(id, at), client: '127.0.0.1:50000', state: 'authenticated' };
}

function ended(id: string): SessionRow {
  return { ...live(id), startedAt: at - 10_000, endedAt: at - 5_000, reason: 'closed' };
}

const lint = (session: string, gseq: number): ImapscopeEvent => ({
  v: 1,
  session,
  seq: gseq,
  gseq,
  at: at + gseq,
  type: 'lint',
  severity: 'warning',
  code: 'LINT_UNKNOWN_COMMAND',
  title: 'a lint',
  explanation: 'a lint',
  rfc: 'RFC 9051',
});

/** The text of each cell of a row, by its session id. */
function cells(container: HTMLElement, id: string): string[] {
  const row = container.querySelector(`tr[data-session="${id}"]`)!;
  return [...row.querySelectorAll('td')].map((td) => td.textContent ?? '');
}

describe('the session list', () => {
  it('redraws a row when a live event changes it in place, and opens the row clicked', async () => {
    const store = new AppStore(null);
    await store.list.load(async () => ({ rows: [live('a'), ended('b')], total: 2, lastGseq: 1 }));
    const onOpen = vi.fn();
    const { container } = render(h(SessionList, { store, onOpen }));
    await frames();
    expect(cells(container, 'a').at(-1)).toBe('0');
    // The model changes the row object in place (shared/session-row.ts).
    store.list.apply([lint('a', 2), lint('a', 3)]);
    await frames();
    expect(cells(container, 'a').at(-1)).toBe('2');
    expect(cells(container, 'b').at(-1)).toBe('0');
    // A store change elsewhere (the connection's status) leaves the rows as they are.
    store.status = 'open';
    store.emitter.changed();
    await frames();
    expect(cells(container, 'a').at(-1)).toBe('2');
    fireEvent.click(container.querySelector('tr[data-session="b"]')!);
    expect(onOpen).toHaveBeenCalledWith('b');
    await frames();
    expect(container.querySelector('tr[data-session="b"]')!.getAttribute('aria-selected')).toBe(
      'true',
    );
  });

  it("shows a session's inspection gaps in its row, with the bytes they lost", async () => {
    const store = new AppStore(null);
    await store.list.load(async () => ({ rows: [live('a')], total: 1, lastGseq: 1 }));
    const { container } = render(h(SessionList, { store, onOpen: () => {} }));
    await frames();
    const gaps = (): HTMLElement =>
      container.querySelector('tr[data-session="a"] [data-testid="gaps"]')!;
    expect(gaps().textContent).toBe('0');
    const gap = (gseq: number, droppedBytes: number): ImapscopeEvent => ({
      v: 1,
      session: 'a',
      seq: gseq,
      gseq,
      at: at + gseq,
      type: 'gap',
      direction: 's2c',
      droppedChunks: 1,
      droppedBytes,
    });
    store.list.apply([gap(2, 1_500_000), gap(3, 600_000)]);
    await frames();
    expect(gaps().textContent).toBe('2');
    expect(gaps().title).toBe('2 inspection gaps: 2.0 MB not inspected');
  });
});
