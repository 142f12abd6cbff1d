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
  WS_MAX_FRAME_BYTES,
  WS_REPLAY_BYTES,
  WS_SNAPSHOT_EVENTS,
} from '../limits.ts';
import type { Sink } from '../hub/hub.ts';
import { cutFrame, cutTexts, eventText, type EventText } from './ws-frames.ts';

/** What the WebSocket side reads besides live events: the source of snapshots and resumes. */
export interface EventSource {
  /** The last gseq the hub handed out (every event up to it has reached this sink). */
  lastGseq(): number;
  /**
   * The session list for a snapshot, read after lastGseq was taken (so it may already show a
   * little more; the events after lastGseq follow live).
   */
  sessions(): SessionRow[] | Promise<SessionRow[]>;
  /** Events with after < gseq ≤ until (archive), or null when there is no archive. */
  byGseq(
    after: number,
    until: number,
    limit: number,
  ): ImapscopeEvent[] | null | Promise<ImapscopeEvent[] | null>;
  /** A session's events with seq > afterSeq (archive or memory), or null when unknown. */
  bySession(
    session: string,
    afterSeq: number,
    limit: number,
  ): ImapscopeEvent[] | null | Promise<ImapscopeEvent[] | null>;
}

interface Client {
  ws: WebSocket;
  /** Only this session's events, or all. */
  session: string | null;
  /** gseq of the last event this client has been sent, stepped over or told it missed. */
  cursor: number;
  /** Frames handed to ws whose write to the socket has not completed. */
  inFlight: number;
  /** A pump is scheduled for when the socket drains or the next tick runs. */
  waiting: boolean;
}

/** A WebSocket frame's header (unmasked, 64-bit length): ws counts it in bufferedAmount. */
const FRAME_HEADER_MAX = 10;

/** Parameters of one connection, from its URL. */
export interface WsParams {
  session: string | null;
  /** Resume: the last gseq the client holds. */
  after: number | null;
  /** Resume within `session`: the last seq it holds. */
  afterSeq: number | null;
}

/** Sizes the sink works with; the defaults are the limits in limits.ts (tests shrink them). */
export interface WsSinkOptions {
  maxFrameBytes?: number;
  maxBufferedBytes?: number;
  /** The ring's size in event JSON characters (WS_REPLAY_BYTES). */
  replayBytes?: number;
}

/**
 * The live side of the viewer: on connect a snapshot (or the events missed since a resume
 * point), then live events in gseq order.
 *
 * Each client pulls from the ring of recent events at its own pace: it is sent frames of at
 * most WS_MAX_FRAME_BYTES while what ws holds for it (`bufferedAmount`) stays within
 * WS_CLIENT_MAX_BUFFERED_BYTES, and each completed write sends the next. A viewer that
 * reads a little slower than events arrive, or that gets a burst bigger than the bound in one
 * tick, thus catches up without a gap; only events that leave the ring before a client got
 * to them are skipped, and it then gets one `gap` naming them (to refetch over REST). A
 * stalled viewer costs at most the bound (plus its cursor); nothing is queued per client.
 */
export class WsSink implements Sink {
  readonly name = 'ws';
  private readonly wss = new WebSocketServer({
    noServer: true,
    maxPayload: 64 * 1024,
    perMessageDeflate: false,
  });
  private readonly clients = new Set<Client>();
  /**
   * Recent events in gseq order, as their JSON: what clients are sent from and resume within.
   * Only the text is kept (the decoded events are several times its size and are let go once
   * the other sinks are done with them), so the ring costs about what it counts.
   */
  private ring: EventText[] = [];
  /** The ring's events' JSON, in characters. */
  private ringBytes = 0;
  private scheduled = false;
  private readonly maxFrame: number;
  private readonly maxBuffered: number;
  private readonly replayBytes: number;
  /**
   * Counters for the status route, tests and the benchmark: frames sent, events skipped (told
   * missed), gaps sent, and the most bytes ws held for one client right after a send.
   */
  readonly stats = { sent: 0, skipped: 0, gaps: 0, peakBuffered: 0 };

  constructor(
    private readonly source: EventSource,
    opts: WsSinkOptions = {},
  ) {
    this.maxFrame = opts.maxFrameBytes ?? WS_MAX_FRAME_BYTES;
    this.maxBuffered = opts.maxBufferedBytes ?? WS_CLIENT_MAX_BUFFERED_BYTES;
    this.replayBytes = opts.replayBytes ?? WS_REPLAY_BYTES;
    if (this.maxFrame > this.maxBuffered) throw new RangeError('a frame must fit in the bound');
  }

  /** What the ring holds now: events, and their JSON in characters. */
  get ringSize(): { events: number; bytes: number } {
    return { events: this.ring.length, bytes: this.ringBytes };
  }

  get clientCount(): number {
    return this.clients.size;
  }

  write(events: readonly ImapscopeEvent[]): void {
    for (const e of events) {
      const t = eventText(e);
      this.ring.push(t);
      this.ringBytes += t.json.length;
    }
    // Trimmed in steps (a quarter over the size), so trimming costs O(1) per event.
    if (this.ringBytes > this.replayBytes * 1.25) {
      let drop = 0;
      while (this.ringBytes > this.replayBytes && drop < this.ring.length - 1)
        this.ringBytes -= this.ring[drop++]!.json.length;
      this.ring = this.ring.slice(drop);
    }
    if (this.clients.size > 0 && !this.scheduled) {
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
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('error', () => ws.terminate());
      // The archive's reads may be async (PostgreSQL): a failed one closes this client only.
      this.connected(ws, params).catch(() => ws.terminate());
    });
  }

  async close(): Promise<void> {
    for (const c of this.clients) c.ws.terminate();
    this.clients.clear();
    await new Promise<void>((r) => this.wss.close(() => r()));
  }

  private async connected(ws: WebSocket, p: WsParams): Promise<void> {
    // `last` and the ring's oldest are taken before any read: events published while the
    // archive answers stay in the ring after `last`, and the pump sends them once the client
    // is added (or a gap, if they left the ring meanwhile).
    const last = this.source.lastGseq();
    const ringOldest = this.ring[0]?.gseq;
    const client: Client = {
      ws,
      session: p.session,
      cursor: last,
      inFlight: 0,
      waiting: false,
    };
    const snapshot: Extract<ServerMessage, { type: 'snapshot' }> = {
      type: 'snapshot',
      v: PROTOCOL_VERSION,
      lastGseq: last,
      sessions: await this.source.sessions(),
      events: [],
      truncated: false,
    };
    let missed: ImapscopeEvent[] = [];
    let gap: Extract<ServerMessage, { type: 'gap' }> | null = null;
    if (p.session !== null && p.after === null) {
      const got =
        (await this.source.bySession(p.session, p.afterSeq ?? 0, WS_SNAPSHOT_EVENTS + 1)) ?? [];
      const upTo = got.filter((e) => e.gseq <= last || e.gseq === 0);
      snapshot.truncated = upTo.length > WS_SNAPSHOT_EVENTS;
      if (p.afterSeq === null) {
        // The snapshot is one frame too: it carries the first events that fit, and says so.
        const fit = cutFrame(upTo.slice(0, WS_SNAPSHOT_EVENTS), 0, this.maxFrame / 2).count;
        snapshot.events = upTo.slice(0, fit);
        snapshot.truncated ||= fit < upTo.length;
      } else missed = upTo.slice(0, WS_SNAPSHOT_EVENTS);
      if (p.afterSeq !== null && snapshot.truncated) {
        const first = upTo[WS_SNAPSHOT_EVENTS]?.gseq ?? last;
        gap = { type: 'gap', fromGseq: first, toGseq: last, reason: 'resume-too-old' };
      }
    } else if (p.after !== null && p.after < last) {
      // An empty ring (a restart: the archive has events, memory none) reaches back to `last`.
      const oldest = ringOldest ?? last + 1;
      if (oldest <= p.after + 1) {
        client.cursor = p.after; // the ring has everything since: the pump sends it
      } else {
        const r = await this.replay(p.after, oldest - 1, p.session);
        if (r === null) {
          gap = {
            type: 'gap',
            fromGseq: p.after + 1,
            toGseq: oldest - 1,
            reason: 'resume-too-old',
          };
        } else missed = r;
        client.cursor = Math.min(last, oldest - 1);
      }
    }
    if (ws.readyState !== ws.OPEN) return;
    this.send(client, toJson(snapshot));
    if (missed.length > 0) {
      // Older than the ring (from the archive): sent within the bound; the rest becomes a gap.
      const until = client.cursor;
      let i = 0;
      while (i < missed.length) {
        const room = Math.min(
          this.maxFrame,
          this.maxBuffered - ws.bufferedAmount - FRAME_HEADER_MAX,
        );
        const cut = cutFrame(missed, i, room);
        if (cut.text === null) break;
        this.send(client, cut.text);
        i = cut.next;
      }
      if (i < missed.length && gap === null) {
        this.stats.skipped += missed.length - i;
        gap = { type: 'gap', fromGseq: missed[i]!.gseq, toGseq: until, reason: 'slow-client' };
      }
    }
    if (gap) this.sendGap(client, gap);
    this.clients.add(client);
    ws.on('close', () => this.clients.delete(client));
    ws.on('message', () => {
      // Clients have nothing to say yet beyond keeping the connection warm.
    });
    this.pump(client);
  }

  /** Events in (after, until] from the archive, or null when there are too many (or none kept). */
  private async replay(
    after: number,
    until: number,
    session: string | null,
  ): Promise<ImapscopeEvent[] | null> {
    if (until - after > WS_SNAPSHOT_EVENTS && session === null) return null;
    let events = await this.source.byGseq(
      after,
      until,
      session === null ? WS_SNAPSHOT_EVENTS + 1 : 1e9,
    );
    if (events === null) return null;
    if (session !== null) events = events.filter((e) => e.session === session);
    return events.length > WS_SNAPSHOT_EVENTS ? null : events;
  }

  /** Hands one message to ws; its completion lets the client's pump go on. */
  private send(client: Client, text: string): void {
    client.inFlight += 1;
    this.stats.sent += 1;
    client.ws.send(text, () => {
      client.inFlight -= 1;
      if (client.waiting) {
        client.waiting = false;
        this.pump(client);
      }
    });
    this.stats.peakBuffered = Math.max(this.stats.peakBuffered, client.ws.bufferedAmount);
  }

  private sendGap(client: Client, gap: Extract<ServerMessage, { type: 'gap' }>): void {
    this.stats.gaps += 1;
    this.send(client, toJson(gap));
  }

  private readonly deliver = (): void => {
    this.scheduled = false;
    for (const c of this.clients) if (!c.waiting) this.pump(c);
  };

  /**
   * Sends the client what the ring holds past its cursor, frame by frame, while the bound
   * allows. Stops when it is up to date, or when the next frame does not fit: then the next
   * completed write (or, with nothing in flight, the next tick) calls it again.
   */
  private pump(c: Client): void {
    const keep = c.session === null ? undefined : (t: EventText) => t.session === c.session;
    while (c.ws.readyState === c.ws.OPEN) {
      let i = this.firstAfter(c.cursor);
      if (i >= this.ring.length) return;
      const next = this.ring[i]!.gseq;
      if (next > c.cursor + 1) {
        // Left the ring before this client got to them (it was stalled): refetch over REST.
        this.stats.skipped += next - c.cursor - 1;
        this.sendGap(c, {
          type: 'gap',
          fromGseq: c.cursor + 1,
          toGseq: next - 1,
          reason: 'slow-client',
        });
        c.cursor = next - 1;
      }
      const room = Math.min(
        this.maxFrame,
        this.maxBuffered - c.ws.bufferedAmount - FRAME_HEADER_MAX,
      );
      const cut = cutTexts(this.ring, i, room, keep);
      if (cut.next > i) c.cursor = this.ring[cut.next - 1]!.gseq;
      if (cut.text !== null) {
        this.send(c, cut.text);
        continue;
      }
      if (cut.unfit === 0) return; // the rest was other sessions' events
      i = cut.next;
      const e = this.ring[i]!;
      if (cut.unfit > this.maxFrame) {
        // No frame can carry it: the viewer fetches this one event over REST.
        this.stats.skipped += 1;
        this.sendGap(c, { type: 'gap', fromGseq: e.gseq, toGseq: e.gseq, reason: 'too-large' });
        c.cursor = e.gseq;
        continue;
      }
      // Full: wait for a write to complete. With none in flight (the bytes are ws's own),
      // try again next tick.
      c.waiting = true;
      if (c.inFlight === 0) {
        setTimeout(() => {
          c.waiting = false;
          this.pump(c);
        }, 10).unref();
      }
      return;
    }
  }

  /** Index of the first ring event with gseq > `gseq` (the ring is in gseq order). */
  private firstAfter(gseq: number): number {
    let lo = 0;
    let hi = this.ring.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ring[mid]!.gseq > gseq) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}
