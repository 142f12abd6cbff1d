import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import type { HostPort } from '../config.ts';
import type { SessionRegistry } from './registry.ts';

/**
 * The token a request carries: `?token=`, `Authorization: Bearer …`, or
 * `X-Imapscope-Token`. Compared in constant time.
 */
export function requestHasToken(req: IncomingMessage, token: string): boolean {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const auth = req.headers.authorization;
  const offered =
    url.searchParams.get('token') ??
    (auth?.startsWith('Bearer ') ? auth.slice(7) : undefined) ??
    (req.headers['x-imapscope-token'] as string | undefined);
  if (offered === undefined) return false;
  const a = Buffer.from(offered);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, {
    'content-type': type,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  });
  res.end(body);
}

// A small self-refreshing session list until the React viewer (viewer/) is built and served here.
const PAGE = `<!doctype html><meta charset="utf-8"><title>imapscope</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse}
td,th{padding:.3em .8em;border-bottom:1px solid #ddd;text-align:left}.live{color:#080}</style>
<h1>imapscope</h1><p>Sessions through this proxy (refreshes every 2 s).</p>
<table><thead><tr><th>session</th><th>client</th><th>upstream</th><th>started</th><th>bytes c2s</th><th>bytes s2c</th><th>end</th></tr></thead><tbody id="rows"></tbody></table>
<script>
const q = location.search;
async function load(){const r=await fetch('/api/sessions'+q);const rows=await r.json();
document.getElementById('rows').innerHTML=rows.map(s=>'<tr><td>'+s.id+'</td><td>'+s.client+'</td><td>'+s.upstream+
'</td><td>'+new Date(s.startedAt).toLocaleTimeString()+'</td><td>'+(s.bytesC2s??'')+'</td><td>'+(s.bytesS2c??'')+
'</td><td>'+(s.reason??'<span class=live>live</span>')+'</td></tr>').join('');}
load();setInterval(load,2000);
</script>`;

/** The UI server: every request needs the token; unknown paths are 404. */
export function startUiServer(
  at: HostPort,
  token: string,
  registry: SessionRegistry,
): Promise<{ server: Server; address: HostPort }> {
  const server = createServer((req, res) => {
    if (!requestHasToken(req, token)) {
      send(
        res,
        401,
        'text/plain; charset=utf-8',
        'imapscope: a valid token is required (?token=…)\n',
      );
      return;
    }
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method !== 'GET') send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
    else if (path === '/') send(res, 200, 'text/html; charset=utf-8', PAGE);
    else if (path === '/api/sessions')
      send(res, 200, 'application/json', JSON.stringify(registry.list()));
    else send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
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
