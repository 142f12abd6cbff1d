/** A WebSocket viewer client for tests: collects the server's messages, parsed. */
import WebSocket from 'ws';
import type { ImapscopeEvent } from '../../shared/events.ts';
import type { ServerMessage } from '../../shared/protocol.ts';
import { fromJson } from '../../shared/protocol.ts';

export interface ViewerClient {
  ws: WebSocket;
  messages: ServerMessage[];
  /** Every event received, from the snapshot and from `events` messages, in arrival order. */
  events(): ImapscopeEvent[];
  /** Those of events() whose message arrived before `time` (a Date.now() value). */
  eventsReceivedBefore(time: number): ImapscopeEvent[];
  /** Resolves when `predicate` holds for the messages so far (checked on each message). */
  until(predicate: (c: ViewerClient) => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** Connects to `/ws` of the viewer at `base` (the ready line's URL, token included). */
export function connectViewer(
  base: string,
  params: Record<string, string> = {},
  headers: Record<string, string> = {},
): Promise<ViewerClient> {
  const url = new URL('/ws', base.replace(/^http/, 'ws'));
  url.search = new URL(base).search;
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  const ws = new WebSocket(url, { headers });
  const messages: ServerMessage[] = [];
  /** When each of `messages` arrived (Date.now()), by index. */
  const arrivals: number[] = [];
  const eventsOf = (m: ServerMessage): ImapscopeEvent[] =>
    m.type === 'events' ? m.events : m.type === 'snapshot' ? m.events : [];
  const waiters = new Set<() => void>();
  const client: ViewerClient = {
    ws,
    messages,
    events: () => messages.flatMap(eventsOf),
    eventsReceivedBefore: (time) =>
      messages.filter((_, i) => arrivals[i]! < time).flatMap(eventsOf),
    until(predicate, timeoutMs = 15_000) {
      if (predicate(client)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`viewer: condition not met; got ${messages.length} messages`));
        }, timeoutMs);
        const check = (): void => {
          if (!predicate(client)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
      });
    },
    close: () =>
      new Promise((resolve) => {
        if (ws.readyState === WebSocket.CLOSED) return resolve();
        ws.once('close', () => resolve());
        ws.close();
      }),
  };
  ws.on('message', (data: Buffer) => {
    messages.push(fromJson<ServerMessage>(data.toString('utf8')));
    arrivals.push(Date.now());
    for (const w of [...waiters]) w();
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(client));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) =>
      reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode })),
    );
  });
}
