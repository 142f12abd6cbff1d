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
  /**
   * Holes in what inspection saw (gap events: it fell behind under `--inspection best-effort`,
   * or its thread died) and the bytes relayed but never inspected in them.
   */
  gapCount: number;
  gapBytes: number;
  /**
   * The imapscope instance that relayed it (`--instance`, default the host name): several
   * instances can share one PostgreSQL archive. '' in archives from before instances.
   */
  instance?: string;
  /** The client's ID (RFC 2971) name and version, when it sent an ID command with them. */
  clientName: string | null;
  clientVersion: string | null;
}

/** Columns the session list sorts by (`GET /api/sessions?sort=`). */
export const SESSION_SORTS = [
  'started',
  'ended',
  'duration',
  'client',
  'user',
  'upstream',
  'state',
  'reason',
  'bytes',
  'events',
  'exchanges',
  'gaps',
  'no',
  'bad',
  'lints',
  'clientName',
] as const;
export type SessionSort = (typeof SESSION_SORTS)[number];

/**
 * Filters of `GET /api/sessions` (all optional). `text` searches, case-insensitively, the
 * session's traffic (commands, responses, mailbox names, decoded headers of literal previews)
 * and its id, client, user, upstream and client ID name. The response body is one page of
 * SessionRow; its `X-Total-Count` header is how many sessions match in all.
 */
export interface SessionFilter {
  /** The whole user name, case-insensitively. */
  user?: string;
  client?: string;
  /** ms since the epoch: sessions active at or after `from`, started at or before `to`. */
  from?: number;
  to?: number;
  /** An IMAP state, or `live` / `ended`. */
  state?: string;
  /** How it ended: a close reason (`closed`, `upstream-closed`, `client-reset`…). */
  reason?: string;
  text?: string;
  /** Sort column (default `started`) and direction (default `desc`); ties go newest first. */
  sort?: SessionSort;
  order?: 'asc' | 'desc';
  /** Rows to skip (paging) and rows to return. */
  offset?: number;
  limit?: number;
}

/** One page of the session list with how many match in all. */
export interface SessionPage {
  sessions: SessionRow[];
  total: number;
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
      /** `too-large`: one event whose message would pass the frame cap (WS_MAX_FRAME_BYTES). */
      reason: 'slow-client' | 'resume-too-old' | 'too-large';
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
  | 'ERR_API_NO_ARCHIVE'
  /** A literal's whole body is not in the archive as it was (refused, masked, or bytes lost). */
  | 'ERR_API_LITERAL_UNAVAILABLE'
  | 'ERR_API_ARCHIVE_RECOVERING'
  /** A cross-origin WebSocket upgrade. */
  | 'ERR_API_FORBIDDEN'
  /** A Host the UI server does not answer to (see --ui-host). */
  | 'ERR_API_MISDIRECTED'
  /** An unexpected failure in a handler (logged by the server). */
  | 'ERR_API_INTERNAL';

/**
 * JSON with byte arrays as `{ "$b64": … }` (a Node Buffer's own toJSON is bypassed). The byte
 * arrays are swapped out by a walk in JavaScript that copies only the objects on the way to
 * one, and the result goes through JSON.stringify without a replacer: a replacer function
 * costs a call from the engine per key, and events are mostly keys.
 */
export function toJson(value: unknown): string {
  return JSON.stringify(encodeBytes(value));
}

/** `value` with each Uint8Array in it replaced by `{ $b64 }`; unchanged parts are shared, not copied. */
function encodeBytes(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Uint8Array) return { $b64: base64(value) };
  if (Array.isArray(value)) {
    let out: unknown[] | null = null;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const encoded = encodeBytes(item);
      if (encoded !== item) {
        out ??= value.slice();
        out[i] = encoded;
      }
    }
    return out ?? value;
  }
  let out: Record<string, unknown> | null = null;
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    const item = record[key];
    const encoded = encodeBytes(item);
    if (encoded !== item) {
      out ??= { ...record };
      out[key] = encoded;
    }
  }
  return out ?? value;
}

/** Parses what {@link toJson} wrote, `{ "$b64": … }` back into Uint8Array. */
export function fromJson<T = unknown>(text: string): T {
  const value: unknown = JSON.parse(text);
  // Reviving in a walk of its own, and only where the key "$b64" occurs (it cannot hide in a
  // string, where JSON writes its quotes as \"): JSON.parse with a reviver took three times
  // as long, most of what reading a session's events costs.
  return (text.includes('"$b64"') ? revive(value) : value) as T;
}

/** `value` with each `{ $b64: string }` in it replaced by its bytes (in place; arrays too). */
function revive(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = revive(value[i]);
    return value;
  }
  const o = value as Record<string, unknown>;
  if (Object.hasOwn(o, '$b64') && typeof o.$b64 === 'string') return unbase64(o.$b64);
  for (const k of Object.keys(o)) {
    const v = o[k];
    const r = revive(v);
    // As JSON.parse defines them: a key such as "__proto__" stays a plain property.
    if (r !== v)
      Object.defineProperty(o, k, {
        value: r,
        writable: true,
        enumerable: true,
        configurable: true,
      });
  }
  return o;
}

/** Node's Buffer where there is one (the proxy), for its native base64; the viewer has none. */
const NodeBuffer = (
  globalThis as {
    Buffer?: {
      from(b: ArrayBufferLike, offset: number, length: number): { toString(enc: 'base64'): string };
    };
  }
).Buffer;

function base64(bytes: Uint8Array): string {
  if (NodeBuffer)
    return NodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
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
