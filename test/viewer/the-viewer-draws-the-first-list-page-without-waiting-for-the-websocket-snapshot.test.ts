// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ImapscopeEvent } from '../../shared/events.ts';
import type { ServerMessage, SessionRow } from '../../shared/protocol.ts';
import { PROTOCOL_VERSION, toJson } from '../../shared/protocol.ts';
import { newSessionRow } from '../../shared/session-row.ts';
import { AppStore } from '../../viewer/src/state/app-store.ts';

/** The hub's WebSocket as the viewer sees it: the test opens it and sends its messages. */
class FakeSocket {
  static all: FakeSocket[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((m: { data: string }) => void) | null = null;
  onclose: (() => void) | null = null;
  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }
  send(): void {}
  close(): void {}
  deliver(msg: ServerMessage): void {
    this.onmessage?.({ data: toJson(msg) });
  }
}

/** A list page request held until the test answers it. */
interface PageRequest {
  url: string;
  answer(rows: SessionRow[], lastGseq: number): void;
}

let pages: PageRequest[] = [];

function response(body: string, headers: Record<string, string> = {}): Response {
  return new Response(body, {
    status: 200,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

beforeEach(() => {
  FakeSocket.all = [];
  pages = [];
  vi.stubGlobal('WebSocket', FakeSocket);
  vi.stubGlobal('fetch', (url: string) => {
    if (url.startsWith('/api/status'))
      return Promise.resolve(response('{"lastGseq":0,"viewers":1}'));
    if (!url.startsWith('/api/sessions?')) return Promise.reject(new Error(`unexpected ${url}`));
    return new Promise<Response>((resolve) =>
      pages.push({
        url,
        answer: (rows, lastGseq) =>
          resolve(
            response(toJson(rows), {
              'x-total-count': String(rows.length),
              'x-last-gseq': String(lastGseq),
            }),
          ),
      }),
    );
  });
});

afterEach(() => {
  vi.unstubAllGlobals();
});

/** Lets the promise chains (fetch, text, load, then) run to their end. */
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

function ended(id: string, startedAt: number): SessionRow {
  return { ...newSessionRow(id, startedAt), endedAt: startedAt + 5, reason: 'closed' };
}

function snapshot(lastGseq: number, sessions: SessionRow[] = []): ServerMessage {
  return {
    type: 'snapshot',
    v: PROTOCOL_VERSION,
    lastGseq,
    sessions,
    events: [],
    truncated: false,
  };
}

const open = (session: string, gseq: number): ImapscopeEvent => ({
  v: 1,
  session,
  seq: 1,
  gseq,
  at: 1_000 + gseq,
  type: 'session.open',
  client: { host: '127.0.0.1', port: 50001 },
  upstream: { host: '127.0.0.1', port: 143 },
});

const lint = (session: string, seq: number, gseq: number): ImapscopeEvent => ({
  v: 1,
  session,
  seq,
  gseq,
  at: 1_000 + gseq,
  type: 'lint',
  severity: 'warning',
  code: 'LINT_UNKNOWN_COMMAND',
  title: 'a lint',
  explanation: 'a lint',
  rfc: 'RFC 9051',
});

const ids = (store: AppStore): string[] => store.list.pageRows().map((r) => r.id);

describe('the viewer store', () => {
  it('asks for the list’s first page before the WebSocket has opened, and draws it before the snapshot', async () => {
    const store = new AppStore('t0k');
    store.start();
    expect(pages.map((p) => p.url)).toEqual([
      '/api/sessions?offset=0&limit=50&sort=started&order=desc',
    ]);
    expect(FakeSocket.all).toHaveLength(1);
    pages[0]!.answer([ended('b', 2), ended('a', 1)], 7);
    await settle();
    expect(ids(store)).toEqual(['b', 'a']);
    expect(store.ready).toBe(false);
    store.stop();
  });

  it('keeps the first page when the snapshot is at the page’s position: one request, live events on top', async () => {
    const store = new AppStore(null);
    store.start();
    pages[0]!.answer([ended('b', 2), ended('a', 1)], 7);
    await settle();
    const ws = FakeSocket.all[0]!;
    ws.onopen?.();
    ws.deliver(snapshot(7));
    await settle();
    expect(store.ready).toBe(true);
    expect(pages).toHaveLength(1);
    ws.deliver({ type: 'events', events: [open('c', 8), lint('a', 6, 9)] });
    await settle();
    expect(ids(store)).toEqual(['c', 'b', 'a']);
    expect(store.list.get('a')?.lintCount).toBe(1);
    store.stop();
  });

  it('applies events after the snapshot once when the first page comes after them', async () => {
    const store = new AppStore(null);
    store.start();
    const ws = FakeSocket.all[0]!;
    ws.onopen?.();
    ws.deliver(snapshot(7));
    ws.deliver({ type: 'events', events: [lint('a', 6, 8)] });
    await settle();
    expect(store.ready).toBe(false);
    pages[0]!.answer([ended('b', 2), ended('a', 1)], 7);
    await settle();
    expect(store.ready).toBe(true);
    expect(pages).toHaveLength(1);
    expect(store.list.get('a')?.lintCount).toBe(1);
    store.stop();
  });

  it('reads the page again when the snapshot is at another position, so sessions opened in between show', async () => {
    const store = new AppStore(null);
    store.start();
    pages[0]!.answer([ended('b', 2), ended('a', 1)], 5);
    await settle();
    const ws = FakeSocket.all[0]!;
    ws.onopen?.();
    // Session c opened (gseq 6) and ended (gseq 7) before the socket's snapshot: no event says so.
    ws.deliver(snapshot(7));
    await settle();
    expect(pages).toHaveLength(2);
    expect(store.ready).toBe(false);
    pages[1]!.answer([ended('c', 3), ended('b', 2), ended('a', 1)], 7);
    await settle();
    expect(ids(store)).toEqual(['c', 'b', 'a']);
    expect(store.ready).toBe(true);
    store.stop();
  });

  it('reads the page again after a resumed snapshot', async () => {
    const store = new AppStore(null);
    store.start();
    pages[0]!.answer([ended('a', 1)], 7);
    const first = FakeSocket.all[0]!;
    first.onopen?.();
    first.deliver(snapshot(7));
    await settle();
    expect(pages).toHaveLength(1);
    // The socket drops; the retry resumes after gseq 7 and gets a snapshot again.
    vi.useFakeTimers();
    first.onclose?.();
    await vi.advanceTimersByTimeAsync(1_000);
    vi.useRealTimers();
    const second = FakeSocket.all[1]!;
    expect(second.url).toContain('after=7');
    second.onopen?.();
    second.deliver(snapshot(9));
    await settle();
    expect(pages).toHaveLength(2);
    store.stop();
  });
});
