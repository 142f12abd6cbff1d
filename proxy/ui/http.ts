import { createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { existsSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import sirv from 'sirv';
import type { HostPort } from '../config.ts';
import { formatHostPort } from '../config.ts';
import { packagePath } from '../paths.ts';
import type { Logger } from '../log.ts';
import { handleApi } from './api.ts';
import { consoleUpgrade } from './console.ts';
import type { ApiContext } from './api.ts';
import type { WsSink } from './ws-sink.ts';
import {
  checkHost,
  checkToken,
  cookieName,
  LOOPBACK_HOST_NAMES,
  requestUrl,
  sameOrigin,
} from './request.ts';
import type { UiTls } from './ui-tls.ts';
import type { Refusal } from './request.ts';
import { SECURITY_HEADERS, send, sendError } from './respond.ts';

export { send, sendError };
export { sameOrigin };

/** The built viewer, served when present (viewer/ builds it). */
export const VIEWER_DIST = packagePath('viewer/dist/');

/**
 * The viewer's scripts and styles (viewer/dist/assets/) carry their content's hash in their
 * names: a browser keeps them for a year (and V8 its compiled code) instead of fetching them on
 * every load; private, as they are behind the token. Everything else, the page included, is
 * `no-store` (SECURITY_HEADERS).
 */
export const ASSET_CACHE = 'private, max-age=31536000, immutable';

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

/** What the UI server needs besides the hub's services. */
export interface UiServerOptions {
  token: string;
  /** Where a handler's unexpected exception is reported (once, with the request line). */
  log: Pick<Logger, 'error'>;
  /** HTTPS (and WSS) with this certificate; null: plain HTTP. */
  tls?: UiTls | null;
  /** Names the Host header may carry besides the loopback names and the --ui host (--ui-host). */
  hosts?: readonly string[];
  /** `GET /metrics`: Prometheus text format. Absent: 404. */
  metrics?: { render(): Promise<string>; contentType: string };
  /** /metrics without the token (--metrics-public, loopback only: config.ts checks). */
  metricsPublic?: boolean;
  /** `GET /healthz`: `ok` (200) once the client listener is up; anything else is 503. */
  health?: () => 'ok' | 'starting' | 'shutting-down';
}

/** The request and upgrade handlers, apart from the listening socket (tests drive them directly). */
export interface UiHandlers {
  request(req: IncomingMessage, res: ServerResponse): void;
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
}

/**
 * The UI server's handlers: the viewer (viewer/dist when built, else a small fallback page),
 * the REST API under /api and the WebSocket at /ws. Every request needs a Host this server
 * answers to (421 otherwise) and the token; a WebSocket upgrade also needs the same origin.
 * Unknown paths are 404, malformed targets, escapes and cookies 400. No exception leaves a handler: an unexpected one answers 500 (or ends the
 * connection if the answer had begun) and is logged.
 */
export function uiHandlers(
  at: HostPort,
  opts: UiServerOptions,
  ctx: ApiContext & { ws: WsSink | null },
): UiHandlers {
  const { token, log } = opts;
  const secure = Boolean(opts.tls);
  // The --ui host as a Host header writes it (IPv6 in brackets), lower case.
  const own = formatHostPort(at).replace(/:\d+$/, '').toLowerCase();
  const names = [...new Set([...LOOPBACK_HOST_NAMES, own, ...(opts.hosts ?? [])])];
  // Checked against the port the request came in on: with --ui HOST:0 it is known only then.
  const gate = (req: IncomingMessage, url: URL) => {
    const port = req.socket.localPort ?? at.port;
    const host = checkHost(req, names, port, secure ? 443 : 80);
    if (!host.ok) return { ...host, port };
    return { ...checkToken(req, url, token, cookieName(port)), port };
  };
  const viewer = existsSync(VIEWER_DIST)
    ? sirv(VIEWER_DIST, {
        single: true,
        dev: false,
        etag: true,
        // The build writes .gz and .br copies beside the scripts and styles (viewer/vite.config.ts).
        gzip: true,
        brotli: true,
        setHeaders: (res, pathname) => {
          if (pathname.startsWith('/assets/')) res.setHeader('cache-control', ASSET_CACHE);
        },
      })
    : null;
  const cookie = (port: number): string =>
    `${cookieName(port)}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/` +
    (secure ? '; Secure' : '');
  const failed = (req: IncomingMessage, err: unknown): void => {
    log.error({ err, method: req.method, url: String(req.url).slice(0, 200) }, 'ui request failed');
  };

  const request = (req: IncomingMessage, res: ServerResponse): void => {
    const url = requestUrl(req);
    if (!url.ok) return refuse(res, url.refusal);
    // `GET /healthz`: for load balancers, without the token or the Host check; it says
    // nothing but its status.
    if (url.value.pathname === '/healthz' && opts.health) return health(req, res, opts.health());
    if (url.value.pathname === '/metrics' && opts.metrics && opts.metricsPublic) {
      const host = checkHost(req, names, req.socket.localPort ?? at.port, secure ? 443 : 80);
      if (!host.ok) return refuse(res, host.refusal);
      return metrics(req, res, opts.metrics);
    }
    const auth = gate(req, url.value);
    if (!auth.ok) {
      if (auth.refusal.status === 401) return refuseWithoutToken(req, res, url.value);
      return refuse(res, auth.refusal);
    }
    const { pathname, searchParams } = url.value;
    if (pathname.startsWith('/api/')) {
      // A failed read (the database went away) answers 500 and is logged; the server goes on.
      handleApi(ctx, req, res, url.value).catch((err: unknown) => {
        failed(req, err);
        if (!res.headersSent) sendError(res, 500, 'ERR_API_INTERNAL', 'the archive failed');
        else res.destroy();
      });
      return;
    }
    // `GET /metrics`: Prometheus text format, with the token (Authorization: Bearer …).
    if (pathname === '/metrics' && opts.metrics) return metrics(req, res, opts.metrics);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return sendError(res, 405, 'ERR_API_METHOD', 'method not allowed');
    }
    if (searchParams.has('token')) res.setHeader('set-cookie', cookie(auth.port));
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
    if (viewer) {
      viewer(req, res, () => sendError(res, 404, 'ERR_API_NOT_FOUND', 'not found'));
    } else if (pathname === '/') {
      send(res, 200, 'text/html; charset=utf-8', PAGE);
    } else sendError(res, 404, 'ERR_API_NOT_FOUND', 'not found');
  };

  const upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const url = requestUrl(req);
    if (!url.ok) return refuseUpgrade(socket, url.refusal);
    const auth = gate(req, url.value);
    if (!auth.ok) return refuseUpgrade(socket, auth.refusal);
    if (!sameOrigin(req)) {
      return refuseUpgrade(socket, {
        status: 403,
        code: 'ERR_API_FORBIDDEN',
        message: 'cross-origin WebSocket upgrades are refused',
      });
    }
    if (url.value.pathname === '/console') return consoleUpgrade(ctx, req, socket, head);
    if (url.value.pathname !== '/ws' || !ctx.ws) {
      return refuseUpgrade(socket, {
        status: 404,
        code: 'ERR_API_NOT_FOUND',
        message: 'not found',
      });
    }
    const num = (name: string): number | null => {
      const v = url.value.searchParams.get(name);
      return v !== null && /^\d{1,15}$/.test(v) ? Number(v) : null;
    };
    ctx.ws.upgrade(req, socket, head, {
      session: url.value.searchParams.get('session'),
      after: num('after'),
      afterSeq: num('afterSeq'),
    });
  };

  return {
    request(req, res) {
      try {
        request(req, res);
      } catch (err) {
        failed(req, err);
        if (res.headersSent) res.destroy();
        else sendError(res, 500, 'ERR_API_INTERNAL', 'internal error (logged)');
      }
    },
    upgrade(req, socket, head) {
      // After an upgrade event the socket is ours: an error on it (a reset) must not go unheard.
      socket.on('error', () => socket.destroy());
      try {
        upgrade(req, socket, head);
      } catch (err) {
        failed(req, err);
        refuseUpgrade(socket, {
          status: 500,
          code: 'ERR_API_INTERNAL',
          message: 'internal error (logged)',
        });
      }
    },
  };
}

/**
 * A request without the token: a browser opening a page (Accept: text/html) gets a short page
 * saying where the URL with the token is, rather than raw JSON; API clients get the JSON 401.
 * Both are 401 and neither says anything about the token itself.
 */
function refuseWithoutToken(req: IncomingMessage, res: ServerResponse, url: URL): void {
  const page = req.method === 'GET' || req.method === 'HEAD';
  if (
    page &&
    !url.pathname.startsWith('/api/') &&
    /\btext\/html\b/.test(req.headers.accept ?? '')
  ) {
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

function health(
  req: IncomingMessage,
  res: ServerResponse,
  status: 'ok' | 'starting' | 'shutting-down',
): void {
  if (req.method !== 'GET' && req.method !== 'HEAD')
    return sendError(res, 405, 'ERR_API_METHOD', 'method not allowed');
  send(res, status === 'ok' ? 200 : 503, 'text/plain; charset=utf-8', `${status}\n`);
}

function metrics(
  req: IncomingMessage,
  res: ServerResponse,
  source: { render(): Promise<string>; contentType: string },
): void {
  if (req.method !== 'GET' && req.method !== 'HEAD')
    return sendError(res, 405, 'ERR_API_METHOD', 'method not allowed');
  source.render().then(
    (text) => send(res, 200, source.contentType, text),
    () => sendError(res, 500, 'ERR_API_INTERNAL', 'metrics failed'),
  );
}

function refuse(res: ServerResponse, r: Refusal): void {
  sendError(res, r.status, r.code, r.message);
}

const REASONS: Record<Refusal['status'], string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  421: 'Misdirected Request',
  500: 'Internal Server Error',
};

/** A refused upgrade: the status and a one-line body on the raw socket, then the socket ends. */
function refuseUpgrade(socket: Duplex, r: Refusal): void {
  if (socket.destroyed) return;
  const body = `${r.code}: ${r.message}\n`;
  socket.end(
    `HTTP/1.1 ${r.status} ${REASONS[r.status]}\r\nConnection: close\r\n` +
      `Content-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
  // The server keeps half-open sockets: without this a peer that never closes would linger.
  socket.once('finish', () => socket.destroy());
}

/** Starts the UI server on `at` with {@link uiHandlers}. */
export function startUiServer(
  at: HostPort,
  opts: UiServerOptions,
  ctx: ApiContext & { ws: WsSink | null },
): Promise<{ server: Server; address: HostPort }> {
  const handlers = uiHandlers(at, opts, ctx);
  const server = opts.tls
    ? createHttpsServer({ cert: opts.tls.cert, key: opts.tls.key }, handlers.request)
    : createServer(handlers.request);
  server.on('upgrade', handlers.upgrade);
  // Without a listener Node drops a CONNECT request unanswered (npm run fuzz found it).
  server.on('connect', (_req, socket: Duplex) => {
    socket.on('error', () => undefined);
    socket.end('HTTP/1.1 405 Method Not Allowed\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
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
