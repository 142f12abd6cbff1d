/**
 * The REST routes that answer across sessions (see api.ts for the others):
 *
 * - `GET /api/audit?user=&client=&mailbox=&kind=&session=&since=&until=&limit=&before=`:
 *   AuditAction[], newest first; `before` is `AT:SESSION:SEQ` of the last row of a page.
 * - `GET /api/stats?since=&until=&user=&upstream=&by=upstream|user`: CommandStats[].
 *
 * - `GET /api/openapi.json`: the OpenAPI description of every route (docs/openapi.json).
 *
 * `since`/`until` take ms since the epoch or an ISO date or time.
 */
import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { isAuditKind } from '../../shared/audit.ts';
import type { AuditFilter } from '../../shared/audit.ts';
import { toJson } from '../../shared/protocol.ts';
import type { ArchiveStore } from '../archive/store.ts';
import { packageUrl } from '../paths.ts';
import { send, sendError } from './respond.ts';

function time(url: URL, name: string): number | undefined | null {
  const v = url.searchParams.get(name);
  if (v === null || v === '') return undefined;
  const t = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  return Number.isFinite(t) ? t : null;
}

const OPENAPI = packageUrl('docs/openapi.json');

/** Answers /api/audit, /api/stats and /api/openapi.json; returns false for any other route. */
export async function handleQueryRoute(
  route: string,
  archive: ArchiveStore | null,
  url: URL,
  res: ServerResponse,
): Promise<boolean> {
  if (route === 'openapi.json') {
    send(res, 200, 'application/json', readFileSync(OPENAPI));
    return true;
  }
  if (route !== 'audit' && route !== 'stats') return false;
  if (!archive) {
    sendError(res, 409, 'ERR_API_NO_ARCHIVE', 'the archive is off (--max-archive-mb 0)');
    return true;
  }
  const q = (name: string): string | undefined => url.searchParams.get(name) || undefined;
  const since = time(url, 'since');
  const until = time(url, 'until');
  if (since === null || until === null) {
    sendError(res, 400, 'ERR_API_BAD_REQUEST', 'since/until: ms since the epoch or an ISO date');
    return true;
  }
  if (route === 'stats') {
    const by = q('by');
    if (by !== undefined && by !== 'upstream' && by !== 'user') {
      sendError(res, 400, 'ERR_API_BAD_REQUEST', 'by: upstream or user');
      return true;
    }
    const rows = await archive.commandStats({
      since,
      until,
      user: q('user'),
      upstream: q('upstream'),
      by,
    });
    send(res, 200, 'application/json', toJson(rows));
    return true;
  }
  const kind = q('kind');
  if (kind !== undefined && !isAuditKind(kind)) {
    sendError(res, 400, 'ERR_API_BAD_REQUEST', `kind: no such action kind ${kind}`);
    return true;
  }
  const before = /^(\d+):([^:]+):(\d+)$/.exec(q('before') ?? '');
  const limit = Number(q('limit'));
  const filter: AuditFilter = {
    user: q('user'),
    client: q('client'),
    mailbox: q('mailbox'),
    kind,
    session: q('session'),
    since,
    until,
    ...(Number.isInteger(limit) && limit > 0 && { limit }),
    ...(before && {
      before: { at: Number(before[1]), session: before[2]!, seq: Number(before[3]) },
    }),
  };
  send(res, 200, 'application/json', toJson(await archive.queryActions(filter)));
  return true;
}
