import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import sirv from 'sirv';
import type { HostPort } from '../config.ts';
import { handleApi } from './api.ts';
import { consoleUpgrade } from './console.ts';
import type { ApiContext } from './api.ts';
import type { WsSink } from './ws-sink.ts';

/** The built viewer, served when present (viewer/ builds it). */
export const VIEWER_DIST = fileURLToPath(new URL('../../viewer/dist/', import.meta.url));

const COOKIE = 'imapscope_token';

/**
 * The token a request carries: `?token=`, `Authorization: Bearer …`, `X-Imapscope-Token`, or
 * the SameSite=Strict cookie set when a page was opened with `?token=` (so the viewer's own
 * scripts and styles load). Compared in constant time.
 */
export function requestHasToken(req: IncomingMessage, token: string): boolean {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const auth = req.headers.authorization;
  const cookie = /(?:^|;\s*)imapscope_token=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
  const offered =
    url.searchParams.get('token') ??
    (auth?.startsWith('Bearer ') ? auth.slice(7) : undefined) ??
    (req.headers['x-imapscope-token'] as string | undefined) ??
    (cookie === undefined ? undefined : decodeURIComponent(cookie));
  if (offered === undefined) return false;
  const a = Buffer.from(offered);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * A WebSocket upgrade is same-origin when it has no Origin (not a browser) or its Origin's
 * host is the Host it was sent to. Anything else is refused, token or not.
 */
export function sameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

import { SECURITY_HEADERS, send, sendError } from './respond.ts';

export { send, sendError };

// A small self-refreshing session list until the React viewer (viewer/) is built and served here.
const PAGE = `<!doctype html><meta charset="utf-8"><title>imapscope</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse}
td,th{padding:.3em .8em;border-bottom:1px solid #ddd;text-align:left}.live{color:#080}</style>
<h1>imapscope</h1><p>Sessions through this proxy (refreshes every 2 s). Exports: JSONL, transcript, pcapng.</p>
<table><thead><tr><th>session</th><th>client</th><th>user</th><th>started</th><th>events</th><th>end</th><th>export</th></tr></thead><tbody id="rows"></tbody></table>
<script>
const esc=s=>String(s??'').replace(/[&<>"]/g,c=>'&#'+c.charCodeAt(0)+';');
async function load(){const r=await fetch('/api/sessions');const rows=await r.json();
document.getElementById('rows').innerHTML=rows.map(s=>'<tr><td>'+esc(s.id)+'</td><td>'+esc(s.client)+'</td><td>'+esc(s.user)+
'</td><td>'+new Date(s.startedAt).toLocaleTimeString()+'</td><td>'+s.events+'</td><td>'+(s.reason?esc(s.reason):'<span class=live>live</span>')+
'</td><td>'+['jsonl','transcript','pcapng'].map(f=>'<a href="/api/sessions/'+encodeURIComponent(s.id)+'/export?format='+f+'">'+f+'</a>').join(' ')+'</td></tr>').join('');}
load();setInterval(load,2000);
</script>`;

/**
 * A request without the token: a browser opening a page (Accept: text/html) gets a short page
 * saying where the URL with the token is, rather than raw JSON; API clients get the JSON 401.
 * Both are 401 and neither says anything about the token itself.
 */
function refuseWithoutToken(req: IncomingMessage, res: ServerResponse): void {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  const page = req.method === 'GET' || req.method === 'HEAD';
  if (page && !path.startsWith('/api/') && /\btext\/html\b/.test(req.headers.accept ?? '')) {
    send(
      res,
      401,
      'text/html; charset=utf-8',
      `<!doctype html><meta charset="utf-8"><title>imapscope: token needed</title>
<style>body{font:15px system-ui,sans-serif;margin:3em auto;max-width:36em;color:#222}code{background:#eee;padding:0 .2em}</style>
<h1>This viewer needs its token</h1>
<p>Open the viewer with the URL imapscope printed when it started: its <code>ready</code> log line
gives it, ending in <code>?token=…</code>.</p>
<p>The token is also kept in the file <code>token</code> in imapscope's data directory
(<code>--data</code>, by default <code>~/.imapscope/token</code>), unless it was set with
<code>--token</code> or <code>IMAPSCOPE_TOKEN</code>. Add it to this address as
<code>?token=…</code>.</p>`,
    );
    return;
  }
  sendError(res, 401, 'ERR_API_UNAUTHORIZED', 'a valid token is required (?token=…)');
}

/**
 * The UI server: the viewer (viewer/dist when built, else a small fallback page), the REST
 * API under /api and the WebSocket at /ws. Every request needs the token; a WebSocket upgrade
 * also needs the same origin. Unknown paths are 404.
 */
export function startUiServer(
  at: HostPort,
  token: string,
  ctx: ApiContext & { ws: WsSink | null },
): Promise<{ server: Server; address: HostPort }> {
  const viewer = existsSync(VIEWER_DIST)
    ? sirv(VIEWER_DIST, { single: true, dev: false, etag: true })
    : null;
  const cookie = `${COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`;
  const server = createServer((req, res) => {
    if (!requestHasToken(req, token)) {
      refuseWithoutToken(req, res);
      return;
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname.startsWith('/api/')) {
      handleApi(ctx, req, res, url);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendError(res, 405, 'ERR_API_METHOD', 'method not allowed');
      return;
    }
    if (url.searchParams.has('token')) res.setHeader('set-cookie', cookie);
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
    if (viewer) {
      viewer(req, res, () => sendError(res, 404, 'ERR_API_NOT_FOUND', 'not found'));
    } else if (url.pathname === '/') {
      send(res, 200, 'text/html; charset=utf-8', PAGE);
    } else sendError(res, 404, 'ERR_API_NOT_FOUND', 'not found');
  });
  server.on('upgrade', (req: IncomingMessage, socket, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const refuse = (status: string): void => {
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (!requestHasToken(req, token)) return refuse('401 Unauthorized');
    if (!sameOrigin(req)) return refuse('403 Forbidden');
    if (url.pathname === '/console') return consoleUpgrade(ctx, req, socket, head);
    if (url.pathname !== '/ws' || !ctx.ws) return refuse('404 Not Found');
    const num = (name: string): number | null => {
      const v = url.searchParams.get(name);
      return v !== null && /^\d+$/.test(v) ? Number(v) : null;
    };
    ctx.ws.upgrade(req, socket, head, {
      session: url.searchParams.get('session'),
      after: num('after'),
      afterSeq: num('afterSeq'),
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: at.host, port: at.port }, () => {
      server.off('error', reject);
      const addr = server.address();
      resolve({
        server,
        address: { host: at.host, port: typeof addr === 'object' && addr ? addr.port : at.port },
      });
    });
  });
}
