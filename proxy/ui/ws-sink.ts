import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import type { ImapscopeEvent } from '../../shared/events.ts';
import type { ServerMessage, SessionRow } from '../../shared/protocol.ts';
import { PROTOCOL_VERSION, toJson } from '../../shared/protocol.ts';
import {
  WS_CLIENT_MAX_BUFFERED_BYTES,
  WS_MAX_CLIENTS,
  WS_REPLAY_EVENTS,
  WS_SNAPSHOT_EVENTS,
} from '../limits.ts';
import { eventsMessageJson } from '../hub/event-json.ts';
import type { Sink } from '../hub/hub.ts';

/** What the WebSocket side reads besides live events: the source of snapshots and resumes. */
export interface EventSource {
  /** The last gseq the hub handed out (every event up to it has reached this sink). */
  lastGseq(): number;
  /** The session list for a snapshot, consistent with lastGseq. */
  sessions(): SessionRow[];
  /** Events with after < gseq ≤ until (archive), or null when there is no archive. */
  byGseq(after: number, until: number, limit: number): ImapscopeEvent[] | null;
  /** A session's events with seq > afterSeq (archive or memory), or null when unknown. */
  bySession(session: string, afterSeq: number, limit: number): ImapscopeEvent[] | null;
}

interface Client {
  ws: WebSocket;
  /** Only this session's events, or all. */
  session: string | null;
  /** gseq of the last event this client has been sent or told it missed. */
  cursor: number;
  /** Skipping since this gseq (inclusive) because the client is slow. */
  lagFrom: number | null;
}

/** Parameters of one connection, from its URL. */
export interface WsParams {
  session: string | null;
  /** Resume: the last gseq the client holds. */
  after: number | null;
  /** Resume within `session`: the last seq it holds. */
  afterSeq: number | null;
}

/**
 * The live side of the viewer: on connect a snapshot (or the events missed since a resume
 * point), then live events in gseq order. Each client's backlog is what ws has buffered for it;
 * past WS_CLIENT_MAX_BUFFERED_BYTES the client is skipped, and once it drains it gets one `gap`
 * with the skipped range (to refetch over REST). A stalled viewer thus costs at most that much
 * memory. Events are batched per tick and each batch is serialized once per filter.
 */
export class WsSink implements Sink {
  readonly name = 'ws';
  private readonly wss = new WebSocketServer({
    noServer: true,
    maxPayload: 64 * 1024,
    perMessageDeflate: false,
  });
  private readonly clients = new Set<Client>();
  /** Recent events for resumes, oldest first; bounded by WS_REPLAY_EVENTS. */
  private ring: ImapscopeEvent[] = [];
  private pending: ImapscopeEvent[] = [];
  private scheduled = false;
  private lagTimer: NodeJS.Timeout | null = null;
  /** Counters for the status route and the benchmark. */
  readonly stats = { sent: 0, skipped: 0, gaps: 0 };

  constructor(private readonly source: EventSource) {}

  get clientCount(): number {
    return this.clients.size;
  }

  write(events: readonly ImapscopeEvent[]): void {
    for (const e of events) {
      this.ring.push(e);
      if (this.clients.size > 0) this.pending.push(e);
    }
    if (this.ring.length > WS_REPLAY_EVENTS * 1.25) this.ring = this.ring.slice(-WS_REPLAY_EVENTS);
    if (this.pending.length > 0 && !this.scheduled) {
      this.scheduled = true;
      setImmediate(this.deliver);
    }
  }

  /** Completes an upgrade the HTTP server has already authorized. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, params: WsParams): void {
    if (this.clients.size >= WS_MAX_CLIENTS) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.connected(ws, params));
  }

  async close(): Promise<void> {
    if (this.lagTimer) clearInterval(this.lagTimer);
    for (const c of this.clients) c.ws.terminate();
    this.clients.clear();
    await new Promise<void>((r) => this.wss.close(() => r()));
  }

  private connected(ws: WebSocket, p: WsParams): void {
    // Synchronous from here to `clients.add`: no event can slip between snapshot and live.
    const last = this.source.lastGseq();
    const client: Client = { ws, session: p.session, cursor: last, lagFrom: null };
    const snapshot: Extract<ServerMessage, { type: 'snapshot' }> = {
      type: 'snapshot',
      v: PROTOCOL_VERSION,
      lastGseq: last,
      sessions: this.source.sessions(),
      events: [],
      truncated: false,
    };
    let missed: ImapscopeEvent[] = [];
    let gap: ServerMessage | null = null;
    if (p.session !== null && p.after === null) {
      const got = this.source.bySession(p.session, p.afterSeq ?? 0, WS_SNAPSHOT_EVENTS + 1) ?? [];
      const upTo = got.filter((e) => e.gseq <= last || e.gseq === 0);
      snapshot.truncated = upTo.length > WS_SNAPSHOT_EVENTS;
      if (p.afterSeq === null) snapshot.events = upTo.slice(0, WS_SNAPSHOT_EVENTS);
      else missed = upTo.slice(0, WS_SNAPSHOT_EVENTS);
      if (p.afterSeq !== null && snapshot.truncated) {
        const first = upTo[WS_SNAPSHOT_EVENTS]?.gseq ?? last;
        gap = { type: 'gap', fromGseq: first, toGseq: last, reason: 'resume-too-old' };
      }
    } else if (p.after !== null && p.after < last) {
      const r = this.replay(p.after, last, p.session);
      if (r === null) {
        gap = { type: 'gap', fromGseq: p.after + 1, toGseq: last, reason: 'resume-too-old' };
      } else missed = r;
    }
    this.send(client, snapshot);
    if (missed.length > 0) this.send(client, { type: 'events', events: missed });
    if (gap) {
      this.stats.gaps += 1;
      this.send(client, gap);
    }
    this.clients.add(client);
    ws.on('close', () => this.clients.delete(client));
    ws.on('error', () => ws.terminate());
    ws.on('message', () => {
      // Clients have nothing to say yet beyond keeping the connection warm.
    });
  }

  /** Events in (after, until], from memory if it reaches back far enough, else the archive. */
  private replay(after: number, until: number, session: string | null): ImapscopeEvent[] | null {
    if (until - after > WS_SNAPSHOT_EVENTS && session === null) return null;
    const oldest = this.ring[0]?.gseq ?? Infinity;
    let events: ImapscopeEvent[] | null;
    if (oldest <= after + 1) {
      events = this.ring.filter((e) => e.gseq > after && e.gseq <= until);
    } else {
      events = this.source.byGseq(after, until, session === null ? WS_SNAPSHOT_EVENTS + 1 : 1e9);
      if (events === null) return null;
    }
    if (session !== null) events = events.filter((e) => e.session === session);
    return events.length > WS_SNAPSHOT_EVENTS ? null : events;
  }

  private send(client: Client, msg: ServerMessage | string): void {
    client.ws.send(typeof msg === 'string' ? msg : toJson(msg));
  }

  private readonly deliver = (): void => {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    const lastOfBatch = batch[batch.length - 1]!.gseq;
    const encoded = new Map<string, string | null>();
    for (const c of this.clients) {
      if (c.ws.readyState !== c.ws.OPEN) continue;
      if (c.lagFrom !== null || c.ws.bufferedAmount > WS_CLIENT_MAX_BUFFERED_BYTES) {
        c.lagFrom ??= c.cursor + 1;
        this.stats.skipped += batch.length;
        c.cursor = Math.max(c.cursor, lastOfBatch);
        this.watchLaggards();
        continue;
      }
      const key = c.session ?? '';
      let text = encoded.get(key);
      if (text === undefined) {
        const events = batch.filter((e) => c.session === null || e.session === c.session);
        text = events.length > 0 ? eventsMessageJson(events) : null;
        encoded.set(key, text);
      }
      // Events the client already has (sent in its snapshot or resume) are not sent again.
      if (batch[0]!.gseq <= c.cursor) {
        const events = batch.filter(
          (e) => e.gseq > c.cursor && (c.session === null || e.session === c.session),
        );
        text = events.length > 0 ? eventsMessageJson(events) : null;
      }
      c.cursor = Math.max(c.cursor, lastOfBatch);
      if (text !== null) {
        this.stats.sent += 1;
        this.send(c, text);
      }
    }
  };

  /** While any client lags, checks it drained and, once it has, sends it its gap. */
  private watchLaggards(): void {
    if (this.lagTimer) return;
    this.lagTimer = setInterval(() => {
      let lagging = 0;
      for (const c of this.clients) {
        if (c.lagFrom === null) continue;
        if (c.ws.bufferedAmount > WS_CLIENT_MAX_BUFFERED_BYTES / 4) {
          lagging += 1;
          continue;
        }
        this.stats.gaps += 1;
        this.send(c, { type: 'gap', fromGseq: c.lagFrom, toGseq: c.cursor, reason: 'slow-client' });
        c.lagFrom = null;
      }
      if (lagging === 0 && this.lagTimer) {
        clearInterval(this.lagTimer);
        this.lagTimer = null;
      }
    }, 100);
    this.lagTimer.unref();
  }
}
