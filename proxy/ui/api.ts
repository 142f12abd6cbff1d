/**
 * The REST API under /api (the token is checked before these run). All responses are JSON
 * except exports and literal previews.
 *
 * - `GET /api/status`: `{ lastGseq, archive: stats | null, viewers, listen, archiveRecovering?,
 *   backfill? }` (while the archive is recovered after a crash, routes that read it answer 503;
 *   `backfill`: `{ sessions, done, events }` while sessions an earlier imapscope archived are
 *   derived)
 * - `GET /api/sessions?user=&client=&from=&to=&state=&reason=&text=&filter=&sort=&order=&offset=&limit=`:
 *   one page of SessionRow[] (newest first by default), `X-Total-Count`: how many match in all,
 *   `X-Total-Exact: true`. `filter` is a display filter (docs/filter.md): only sessions with a
 *   matching row. The list is then searched in the page's order only until offset + limit + 1
 *   sessions with a match are found, for at most FILTER_SCAN_BUDGET_MS (limits.ts); unless it
 *   was searched to its end, `X-Total-Count` is a lower bound (the matches found so far) and
 *   `X-Total-Exact: false`, with `X-Filter-Searched` (sessions searched, from the list's
 *   start) of `X-Filter-Sessions` (sessions meeting the other parameters)
 * - `GET /api/sessions/:id`: SessionRow
 * - `GET /api/sessions/:id/events?afterSeq=&limit=`: EventPage
 * - `GET /api/sessions/:id/events/:seq/literals/:n`: the n-th (0-based) literal's preview bytes,
 *   with `x-literal-size` and `x-literal-sha256` (empty unless `--literal-hashes`)
 * - `GET /api/sessions/:id/events/:seq/literals/:n/body`: that literal's whole body, cut from the
 *   archived (masked) raw bytes, as a download with its size in `content-length`
 * - `GET /api/sessions/:id/export?format=jsonl|transcript|pcapng`: a download
 * - `GET /api/events?after=&until=&session=&limit=`: GseqPage (refetch after a WS gap)
 * - `GET /api/audit`, `GET /api/stats`: across sessions (query-routes.ts)
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EventPage, GseqPage, SessionFilter, SessionSort } from '../../shared/protocol.ts';
import { SESSION_SORTS, toJson } from '../../shared/protocol.ts';
import {
  EXPORT_CONTENT_TYPES,
  exportFileName,
  isExportFormat,
  renderExport,
  storeSource,
} from '../export/index.ts';
import { messageLiterals } from '../../shared/message-literals.ts';
import type { LiteralRef, Message } from '../../shared/messages.ts';
import type { ArchiveStore } from '../archive/store.ts';
import type { BackfillProgress } from '../archive/backfill.ts';
import { checkLiteralBytes } from '../archive/literal-bytes.ts';
import { pageSize } from '../archive/read.ts';
import type { Hub } from '../hub/hub.ts';
import { filteredSessionPage } from '../archive/filter.ts';
import { FILTER_SCAN_BUDGET_MS } from '../limits.ts';
import { parseFilter } from '../../shared/filter.ts';
import { handleQueryRoute } from './query-routes.ts';
import { send, sendError } from './respond.ts';
import { pathSegments } from './request.ts';
import type { SessionRegistry } from '../hub/registry.ts';
import type { WsSink } from './ws-sink.ts';

export interface ApiContext {
  hub: Hub;
  /** null when the archive is off (--max-archive-mb 0): only the in-memory list is served. */
  archive: ArchiveStore | null;
  /**
   * The archive is being recovered after a crash (proxy/archive/recovery.ts): `archive` is
   * null meanwhile, and what needs it answers 503 instead of 409.
   */
  archiveRecovering?: boolean;
  /**
   * The backfill of sessions an earlier imapscope archived (archive/backfill.ts); its
   * progress is in the status while it runs.
   */
  backfill?: { readonly progress: BackfillProgress | null } | null;
  registry: SessionRegistry;
  ws: WsSink | null;
  /** Where mail clients connect (HOST:PORT), once the listener is up. */
  listen?: string;
  /** Whether the viewer's console bridge (/console, proxy/ui/console.ts) is served. */
  console?: boolean;
}

const json = (res: ServerResponse, body: unknown): void =>
  send(res, 200, 'application/json', toJson(body));

function int(url: URL, name: string): number | undefined {
  const v = url.searchParams.get(name);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

/** `from`/`to` accept ms since the epoch or an ISO date. */
function time(url: URL, name: string): number | undefined {
  const v = url.searchParams.get(name);
  if (v === null || v === '') return undefined;
  return /^\d+$/.test(v) ? Number(v) : Date.parse(v) || undefined;
}

export async function handleApi(
  ctx: ApiContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  if (req.method !== 'GET') return sendError(res, 405, 'ERR_API_METHOD', 'only GET is supported');
  const segments = pathSegments(url);
  if (!segments.ok) {
    const r = segments.refusal;
    return sendError(res, r.status, r.code, r.message);
  }
  const path = segments.value.slice(1);
  const archive = ctx.archive;
  // The position in the live stream the reads below are consistent with: everything published
  // up to it is queued, and settle() commits it before any read.
  const lastGseq = ctx.hub.lastGseq;
  // Reads see every event published so far: the queue is written first.
  await archive?.settle();
  const [first, id, sub, seqText, sub2, nText, sub3] = path;
  if (first === 'status' && path.length === 1) {
    return json(res, {
      lastGseq: ctx.hub.lastGseq,
      archive: archive ? { ...archive.stats, pending: archive.pending } : null,
      ...(ctx.archiveRecovering ? { archiveRecovering: true } : {}),
      ...(ctx.backfill?.progress ? { backfill: ctx.backfill.progress } : {}),
      viewers: ctx.ws?.clientCount ?? 0,
      ...(ctx.listen ? { listen: ctx.listen } : {}),
      console: ctx.console === true,
    });
  }
  if (first === 'sessions' && path.length === 1) {
    const sort = url.searchParams.get('sort') || undefined;
    if (sort !== undefined && !(SESSION_SORTS as readonly string[]).includes(sort)) {
      return sendError(res, 400, 'ERR_API_BAD_REQUEST', `sort: one of ${SESSION_SORTS.join(', ')}`);
    }
    const order = url.searchParams.get('order') || undefined;
    if (order !== undefined && order !== 'asc' && order !== 'desc') {
      return sendError(res, 400, 'ERR_API_BAD_REQUEST', 'order: asc or desc');
    }
    const f: SessionFilter = {
      user: url.searchParams.get('user') ?? undefined,
      client: url.searchParams.get('client') ?? undefined,
      from: time(url, 'from'),
      to: time(url, 'to'),
      state: url.searchParams.get('state') ?? undefined,
      reason: url.searchParams.get('reason') || undefined,
      text: url.searchParams.get('text') ?? undefined,
      sort: sort as SessionSort | undefined,
      order,
      offset: int(url, 'offset'),
      limit: int(url, 'limit'),
    };
    const filterText = url.searchParams.get('filter');
    if (filterText !== null && filterText.trim() !== '') {
      const parsed = parseFilter(filterText);
      if (!parsed.ok) {
        const e = parsed.error;
        return sendError(
          res,
          400,
          'ERR_API_BAD_REQUEST',
          `filter, at ${e.start}..${e.end}: ${e.message}`,
        );
      }
      if (!archive) return noArchive(res);
      // Searched in the page's order only as far as the page needs (archive/filter.ts).
      const page = await filteredSessionPage(archive, f, parsed.filter, {
        ms: FILTER_SCAN_BUDGET_MS,
      });
      return send(res, 200, 'application/json', toJson(page.sessions), {
        'x-total-count': String(page.total),
        'x-total-exact': String(page.exact),
        'x-filter-searched': String(page.searched),
        'x-filter-sessions': String(page.listed),
        'x-last-gseq': String(lastGseq),
      });
    }
    // A viewer applies only the live events after lastGseq, like a WebSocket snapshot.
    const page = archive ? await archive.querySessions(f) : ctx.registry.query(f);
    return send(res, 200, 'application/json', toJson(page.sessions), {
      'x-total-count': String(page.total),
      'x-total-exact': 'true',
      'x-last-gseq': String(lastGseq),
    });
  }
  // Past the in-memory list, everything reads the archive: not there yet after a crash.
  if (!archive && ctx.archiveRecovering) {
    return sendError(
      res,
      503,
      'ERR_API_ARCHIVE_RECOVERING',
      'the archive is being recovered after a crash; try again in a moment',
    );
  }
  if (first === 'events' && path.length === 1) {
    if (!archive) return noArchive(res);
    const limit = pageSize(int(url, 'limit'));
    const session = url.searchParams.get('session');
    const until = int(url, 'until') ?? Number.MAX_SAFE_INTEGER;
    let after = int(url, 'after') ?? 0;
    const events = [];
    // With a session filter, scan pages of all events until the page is full or the range ends.
    for (;;) {
      const page = await archive.eventsByGseq(after, until, limit);
      for (const e of page) if (session === null || e.session === session) events.push(e);
      if (page.length < limit || events.length >= limit) break;
      after = page[page.length - 1]!.gseq;
    }
    const last = events[events.length - 1];
    const body: GseqPage = {
      events,
      nextAfter: events.length >= limit && last ? last.gseq : null,
    };
    return json(res, body);
  }
  if (path.length === 1 && first && (await handleQueryRoute(first, archive, url, res))) return;
  if (first !== 'sessions' || id === undefined) return notFound(res);
  const row = archive ? await archive.getSession(id) : ctx.registry.get(id);
  if (!row) return notFound(res, `no session ${id}`);
  if (path.length === 2) return json(res, row);
  if (!archive) return noArchive(res);
  if (sub === 'events' && path.length === 3) {
    const limit = pageSize(int(url, 'limit'));
    const events = await archive.sessionEvents(id, int(url, 'afterSeq') ?? 0, limit);
    const last = events[events.length - 1];
    const body: EventPage = {
      session: id,
      events,
      nextAfterSeq: events.length === limit && last ? last.seq : null,
    };
    return json(res, body);
  }
  if (sub === 'events' && sub2 === 'literals' && path.length === 6) {
    const event = await archive.sessionEvent(id, Number(seqText));
    if (!event || (event.type !== 'message' && event.type !== 'malformed')) {
      return notFound(res, `no message ${seqText} in ${id}`);
    }
    const lit = messageLiterals(event.message)[Number(nText)];
    if (!lit) return notFound(res, `no literal ${nText} in message ${seqText}`);
    return send(res, 200, 'application/octet-stream', Buffer.from(lit.preview), {
      'x-literal-size': String(lit.size),
      'x-literal-sha256': lit.sha256 ?? '',
      'x-literal-preview-bytes': String(lit.preview.length),
    });
  }
  if (sub === 'events' && sub2 === 'literals' && sub3 === 'body' && path.length === 7) {
    return literalBody(res, archive, id, Number(seqText), Number(nText));
  }
  if (sub === 'export' && path.length === 3) {
    const format = url.searchParams.get('format') ?? 'jsonl';
    if (!isExportFormat(format)) {
      return sendError(res, 400, 'ERR_API_BAD_REQUEST', 'format: jsonl, transcript or pcapng');
    }
    const src = (await storeSource(archive, id))!;
    res.writeHead(200, {
      'content-type': EXPORT_CONTENT_TYPES[format],
      'content-disposition': `attachment; filename="${exportFileName(id, format)}"`,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
    for (const part of renderExport(src, format)) res.write(part);
    res.end();
    return;
  }
  return notFound(res);
}

/** Streams one literal's whole body from the archived raw bytes, after checking they are all there. */
async function literalBody(
  res: ServerResponse,
  archive: ArchiveStore,
  id: string,
  seq: number,
  n: number,
): Promise<void> {
  const event = await archive.sessionEvent(id, seq);
  if (!event || (event.type !== 'message' && event.type !== 'malformed')) {
    return notFound(res, `no message ${seq} in ${id}`);
  }
  const lit = messageLiterals(event.message)[n];
  if (!lit) return notFound(res, `no literal ${n} in message ${seq}`);
  const direction = event.message.direction;
  const refusal = await checkLiteralBytes(archive, id, direction, lit);
  if (refusal) return sendError(res, 409, 'ERR_API_LITERAL_UNAVAILABLE', refusal.message);
  res.writeHead(200, {
    'content-type': 'application/octet-stream',
    'content-length': String(lit.size),
    'content-disposition': `attachment; filename="${id}-${seq}-literal-${n}.${isWholeMessage(event.message, lit) ? 'eml' : 'bin'}"`,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...(lit.sha256 ? { 'x-literal-sha256': lit.sha256 } : {}),
  });
  for await (const piece of archive.streamRange(id, direction, lit.offset, lit.offset + lit.size)) {
    // A large literal from PostgreSQL comes in pages: wait for a slow reader between them.
    if (!res.write(piece) && !res.destroyed) await drained(res);
    if (res.destroyed) return;
  }
  res.end();
}

/** The literal is a FETCH's whole message (BODY[], BINARY[], RFC822): worth a .eml name. */
function isWholeMessage(m: Message, lit: LiteralRef): boolean {
  if (m.type !== 'untagged' || m.data.kind !== 'fetch') return false;
  return m.data.attributes.some(
    (a) =>
      a.kind === 'body-section' &&
      a.value.type === 'literal' &&
      a.value.literal.offset === lit.offset &&
      (a.section === null ? a.name.toUpperCase() === 'RFC822' : a.section.text === ''),
  );
}

function notFound(res: ServerResponse, message = 'not found'): void {
  sendError(res, 404, 'ERR_API_NOT_FOUND', message);
}

/** Resolves when the response can take more, or is gone. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

function noArchive(res: ServerResponse): void {
  sendError(res, 409, 'ERR_API_NO_ARCHIVE', 'the archive is off (--max-archive-mb 0)');
}
