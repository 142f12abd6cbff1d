/**
 * The live connection to the hub: one WebSocket at `/ws` carrying every session's events.
 *
 * On connect the hub sends a snapshot (the session list and the last gseq), then event
 * batches in gseq order. When the socket drops, the connection retries with a growing delay
 * and resumes with `after=<last gseq seen>`, so nothing is lost and nothing doubled; when the
 * hub says it had to skip (a `gap`), the skipped range is fetched over REST and delivered in
 * order before anything newer.
 */
import type { ImapscopeEvent } from '../../shared/events.ts';
import { assertNever } from '../../shared/events.ts';
import type { ServerMessage, SessionRow } from '../../shared/protocol.ts';
import { fromJson } from '../../shared/protocol.ts';
import { fetchGseqRange, withToken } from './api.ts';

export type ConnectionStatus = 'connecting' | 'open' | 'reconnecting' | 'unauthorized';

export interface ConnectionHandlers {
  /** The hub's snapshot: its live sessions as of `lastGseq`; the events after it follow. */
  snapshot(sessions: SessionRow[], resumed: boolean, lastGseq: number): void;
  events(events: ImapscopeEvent[]): void;
  status(status: ConnectionStatus, detail: string | null): void;
}

/** Reconnect delays: 0.5 s doubling to 8 s. */
const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 8_000;
const PING_MS = 20_000;

export class Connection {
  private ws: WebSocket | null = null;
  private lastGseq: number | null = null;
  private retryMs = RETRY_MIN_MS;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private closed = false;
  /** Messages wait here while a gap is being fetched, so delivery stays in gseq order. */
  private queue: ServerMessage[] = [];
  private draining = false;

  constructor(
    private readonly token: string | null,
    private readonly handlers: ConnectionHandlers,
    private readonly base: string = location.href,
  ) {}

  start(): void {
    this.closed = false;
    this.open();
  }

  stop(): void {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.ws?.close();
    this.ws = null;
  }

  /** For tests and the status tooltip: the last gseq delivered. */
  get position(): number | null {
    return this.lastGseq;
  }

  private url(): string {
    const u = new URL(withToken('/ws', this.token), this.base);
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    if (this.lastGseq !== null) u.searchParams.set('after', String(this.lastGseq));
    return u.toString();
  }

  private open(): void {
    this.handlers.status(this.lastGseq === null ? 'connecting' : 'reconnecting', null);
    const ws = new WebSocket(this.url());
    this.ws = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      this.retryMs = RETRY_MIN_MS;
      this.handlers.status('open', null);
      this.pingTimer = setInterval(() => ws.send(JSON.stringify({ type: 'ping' })), PING_MS);
    };
    ws.onmessage = (m: MessageEvent<string>) => {
      this.queue.push(fromJson<ServerMessage>(m.data));
      void this.drain();
    };
    ws.onclose = () => {
      if (this.pingTimer) clearInterval(this.pingTimer);
      if (this.ws !== ws || this.closed) return;
      this.ws = null;
      void this.retry(opened);
    };
  }

  private async retry(wasOpen: boolean): Promise<void> {
    // A refused upgrade looks like a plain close: ask the REST side whether it is the token.
    if (!wasOpen) {
      try {
        const res = await fetch(withToken('/api/status', this.token), { cache: 'no-store' });
        if (res.status === 401) {
          this.handlers.status('unauthorized', 'the viewer URL needs its ?token=');
          return;
        }
      } catch {
        // the hub is down: keep retrying
      }
    }
    this.handlers.status('reconnecting', `retry in ${(this.retryMs / 1000).toFixed(1)} s`);
    this.retryTimer = setTimeout(() => this.open(), this.retryMs);
    this.retryMs = Math.min(RETRY_MAX_MS, this.retryMs * 2);
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      let msg: ServerMessage | undefined;
      while ((msg = this.queue.shift()) !== undefined) await this.handle(msg);
    } finally {
      this.draining = false;
    }
  }

  private async handle(msg: ServerMessage): Promise<void> {
    switch (msg.type) {
      case 'snapshot': {
        const resumed = this.lastGseq !== null;
        this.handlers.snapshot(msg.sessions, resumed, msg.lastGseq);
        if (msg.events.length > 0) this.deliver(msg.events);
        if (!resumed) this.lastGseq = msg.lastGseq;
        return;
      }
      case 'events':
        this.deliver(msg.events);
        return;
      case 'gap': {
        try {
          this.deliver(await fetchGseqRange(this.token, msg.fromGseq, msg.toGseq));
        } catch {
          // without the archive the range is gone; move on (the hub counted it)
        }
        this.lastGseq = Math.max(this.lastGseq ?? 0, msg.toGseq);
        return;
      }
      case 'error':
        this.handlers.status('reconnecting', `${msg.code}: ${msg.message}`);
        return;
      default:
        assertNever(msg);
    }
  }

  private deliver(events: ImapscopeEvent[]): void {
    const last = this.lastGseq ?? 0;
    const fresh = events.filter((e) => e.gseq > last || e.gseq === 0);
    if (fresh.length === 0) return;
    this.lastGseq = Math.max(last, fresh[fresh.length - 1]!.gseq);
    this.handlers.events(fresh);
  }
}
