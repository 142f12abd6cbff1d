/**
 * The hub's REST API as the viewer calls it. The token comes from the page URL (`?token=`,
 * as printed in the ready line) and rides on every request as a bearer header; the hub also
 * set a SameSite cookie when the page loaded, which covers downloads and the WebSocket.
 */
import type { AuditAction } from '../../shared/audit.ts';
import type { ImapscopeEvent } from '../../shared/events.ts';
import type { CommandStats } from '../../shared/stats.ts';
import type { EventPage, GseqPage, SessionRow } from '../../shared/protocol.ts';
import { fromJson } from '../../shared/protocol.ts';
import type { ListPage, ListQuery } from './state/session-list-model.ts';

/** The token in the page's URL, or null (then the cookie has to do). */
export function tokenFromUrl(href: string = location.href): string | null {
  return new URL(href).searchParams.get('token');
}

/** Adds the token to a same-origin path, for links (downloads) and the WebSocket URL. */
export function withToken(path: string, token: string | null): string {
  if (token === null) return path;
  return `${path}${path.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function getJson<T>(path: string, token: string | null): Promise<T> {
  const res = await fetch(path, {
    headers: token === null ? {} : { authorization: `Bearer ${token}` },
    cache: 'no-store',
  });
  const text = await res.text();
  if (!res.ok) throw apiError(res.status, text);
  return fromJson<T>(text);
}

/** The API's `{ error: { code, message } }` answer as an ApiError (a body not JSON as is). */
function apiError(status: number, text: string): ApiError {
  let code = `HTTP_${status}`;
  let message = text;
  try {
    const body = JSON.parse(text) as { error?: { code?: string; message?: string } };
    code = body.error?.code ?? code;
    message = body.error?.message ?? message;
  } catch {
    // not JSON: keep the text
  }
  return new ApiError(status, code, message);
}

/** What `/api/status` tells; `listen` only when the hub exposes it. */
export interface HubStatus {
  lastGseq: number;
  viewers: number;
  listen?: string;
  /** Whether the console bridge (/console) is served: practice server, or --console. */
  console?: boolean;
}

/** `?a=1&b=2` of the non-empty parameters, or ''. */
function query(params: Record<string, string>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v.trim() !== '') q.set(k, v.trim());
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** One page of the session list (`GET /api/sessions`), with its total and live position. */
async function sessionPage(token: string | null, q: ListQuery): Promise<ListPage> {
  const params = new URLSearchParams({
    offset: String(q.offset),
    limit: String(q.limit),
    sort: q.sort,
    order: q.order,
  });
  if (q.text.trim() !== '') params.set('text', q.text.trim());
  if (q.filter.trim() !== '') params.set('filter', q.filter.trim());
  if (q.state !== '') params.set('state', q.state);
  const res = await fetch(`/api/sessions?${params}`, {
    headers: token === null ? {} : { authorization: `Bearer ${token}` },
    cache: 'no-store',
  });
  const text = await res.text();
  // A display filter's mistake comes back as a 400 naming its span: shown as the message.
  if (!res.ok) throw apiError(res.status, text);
  const rows = fromJson<SessionRow[]>(text);
  return {
    rows,
    total: Number(res.headers.get('x-total-count') ?? rows.length),
    exact: res.headers.get('x-total-exact') !== 'false',
    ...(res.headers.has('x-filter-searched') && {
      searched: Number(res.headers.get('x-filter-searched')),
      listed: Number(res.headers.get('x-filter-sessions')),
    }),
    lastGseq: Number(res.headers.get('x-last-gseq') ?? 0),
  };
}

export const api = {
  sessionPage,
  status: (token: string | null) => getJson<HubStatus>('/api/status', token),
  session: (token: string | null, id: string) =>
    getJson<SessionRow>(`/api/sessions/${encodeURIComponent(id)}`, token),
  sessionEvents: (token: string | null, id: string, afterSeq: number, limit: number) =>
    getJson<EventPage>(
      `/api/sessions/${encodeURIComponent(id)}/events?afterSeq=${afterSeq}&limit=${limit}`,
      token,
    ),
  /** `GET /api/audit` with the given query parameters (empty ones left out). */
  audit: (token: string | null, params: Record<string, string>) =>
    getJson<AuditAction[]>(`/api/audit${query(params)}`, token),
  /** `GET /api/stats` with the given query parameters (empty ones left out). */
  stats: (token: string | null, params: Record<string, string>) =>
    getJson<CommandStats[]>(`/api/stats${query(params)}`, token),
  eventsByGseq: (token: string | null, after: number, until: number) =>
    getJson<GseqPage>(`/api/events?after=${after}&until=${until}&limit=5000`, token),
};

/** Every event with gseq in [from, to], page after page (refetch after a WebSocket gap). */
export async function fetchGseqRange(
  token: string | null,
  from: number,
  to: number,
): Promise<ImapscopeEvent[]> {
  const out: ImapscopeEvent[] = [];
  let after = from - 1;
  for (;;) {
    const page = await api.eventsByGseq(token, after, to);
    out.push(...page.events);
    if (page.nextAfter === null) return out;
    after = page.nextAfter;
  }
}

export type ExportFormat = 'jsonl' | 'transcript' | 'pcapng';

export function exportUrl(id: string, format: ExportFormat, token: string | null): string {
  return withToken(`/api/sessions/${encodeURIComponent(id)}/export?format=${format}`, token);
}

/** The whole body of a message's n-th literal (by stream offset), cut from the archived raw bytes. */
export function literalBodyUrl(id: string, seq: number, n: number, token: string | null): string {
  return withToken(
    `/api/sessions/${encodeURIComponent(id)}/events/${seq}/literals/${n}/body`,
    token,
  );
}
