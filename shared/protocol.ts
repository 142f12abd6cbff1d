/**
 * The viewer's API: the WebSocket messages on `/ws` and the JSON bodies of the REST routes
 * under `/api`. Both the proxy (proxy/hub) and the viewer import this module.
 *
 * Byte data in events (literal previews) travels as `{ "$b64": "…" }`: {@link toJson} writes
 * it and {@link fromJson} turns it back into a Uint8Array, so an event survives the wire, the
 * archive and a JSONL export unchanged.
 *
 * ## WebSocket `/ws`
 * Query parameters: `token` (required unless sent as `Authorization: Bearer`), `session`
 * (only that session's events), `after` (resume: the last gseq the client holds; or, with
 * `session`, `afterSeq`: the last seq of that session it holds).
 * 1. The server sends one `snapshot` (the session list and, with `session`, that session's
 *    events so far, unless resuming), then
 * 2. `events` batches in gseq order. Nothing is sent twice and nothing is skipped: if the
 *    server must skip (the client was too slow, or the resume point is too old) it sends a
 *    `gap` naming the skipped range, which the client fetches over REST
 *    (`GET /api/events?after=…&until=…`).
 */
import type { ImapscopeEvent, ImapState } from './events.ts';

export const PROTOCOL_VERSION = 1;

/** One session as the session list shows it. */
export interface SessionRow {
  id: string;
  client: string;
  upstream: string;
  startedAt: number;
  /** null while live. */
  endedAt: number | null;
  user: string | null;
  state: ImapState | null;
  reason: string | null;
  bytesC2s: number | null;
  bytesS2c: number | null;
  /** Events archived for it (0 without the archive). */
  events: number;
  /** `live` for traffic through this proxy, else what it was imported from. */
  source: string;
  /** Events the archive had to drop for this session (its queue overflowed). */
  droppedEvents: number;
  /** Exchanges completed, and how many of them ended NO or BAD; lints raised. */
  exchangeCount: number;
  noCount: number;
  badCount: number;
  lintCount: number;
}

/** Filters of `GET /api/sessions` (all optional; `text` searches the session's events). */
export interface SessionFilter {
  user?: string;
  client?: string;
  /** ms since the epoch: sessions active at or after `from`, started at or before `to`. */
  from?: number;
  to?: number;
  /** An IMAP state, or `live` / `ended`. */
  state?: string;
  text?: string;
  limit?: number;
}

/** `GET /api/sessions/:id/events?afterSeq=&limit=`: one page of a session's events. */
export interface EventPage {
  session: string;
  events: ImapscopeEvent[];
  /** Pass as `afterSeq` for the next page; null when this was the last. */
  nextAfterSeq: number | null;
}

/** `GET /api/events?after=&until=&limit=`: events of every session by gseq. */
export interface GseqPage {
  events: ImapscopeEvent[];
  /** Pass as `after` for the next page; null when this was the last. */
  nextAfter: number | null;
}

export type ServerMessage =
  | {
      type: 'snapshot';
      v: typeof PROTOCOL_VERSION;
      /** The last gseq handed out when the snapshot was taken; live events follow it. */
      lastGseq: number;
      sessions: SessionRow[];
      /** With `?session=` and no resume point: that session's events so far (at most a page). */
      events: ImapscopeEvent[];
      /** More events than fit: fetch them over REST before these. */
      truncated: boolean;
    }
  | { type: 'events'; events: ImapscopeEvent[] }
  | {
      type: 'gap';
      /** Events with gseq in [fromGseq, toGseq] were not sent: fetch them over REST. */
      fromGseq: number;
      toGseq: number;
      reason: 'slow-client' | 'resume-too-old';
    }
  | { type: 'error'; code: string; message: string };

export type ServerMessageType = ServerMessage['type'];

/** Messages a client may send (anything else is ignored). */
export type ClientMessage = { type: 'ping' };

/** Stable codes of API errors (`{ error: { code, message } }` bodies and WS `error` messages). */
export type ApiErrorCode =
  | 'ERR_API_UNAUTHORIZED'
  | 'ERR_API_NOT_FOUND'
  | 'ERR_API_BAD_REQUEST'
  | 'ERR_API_METHOD'
  | 'ERR_API_NO_ARCHIVE';

/** JSON with byte arrays as `{ "$b64": … }` (a Node Buffer's own toJSON is bypassed). */
export function toJson(value: unknown): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, key, v: unknown) {
    const original = this[key];
    if (original instanceof Uint8Array) return { $b64: base64(original) };
    return v;
  });
}

/** Parses what {@link toJson} wrote, `{ "$b64": … }` back into Uint8Array. */
export function fromJson<T = unknown>(text: string): T {
  return JSON.parse(text, (_key, v: unknown) => {
    if (v !== null && typeof v === 'object' && '$b64' in v) {
      const b = (v as { $b64: unknown }).$b64;
      if (typeof b === 'string') return unbase64(b);
    }
    return v;
  }) as T;
}

function base64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

function unbase64(text: string): Uint8Array {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}
