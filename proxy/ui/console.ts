/**
 * The viewer's console bridge: a WebSocket at `/console` (token and same origin checked by
 * http.ts) that opens a plain TCP connection to imapscope's own listener. What a learner types
 * is therefore a real session like any other: relayed to the upstream, inspected, in the list,
 * the archive and the log. Served with the practice server, or against a real upstream only
 * with `--console` (ApiContext.console).
 *
 * Frames: page → bridge, text or binary, written to the connection as they are (the page adds
 * CRLF and waits for `+` before a synchronizing literal). Bridge → page: binary frames carry
 * the bytes imapscope sent back; text frames are JSON control messages, `{"type":"open",
 * "local":"127.0.0.1:PORT"}` (the session's client address, so the page can find the session)
 * and `{"type":"closed","reason":…}`.
 */
import type { IncomingMessage } from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ApiContext } from './api.ts';

/** Consoles open at once; more are refused (503) so a page in a loop cannot exhaust sockets. */
export const MAX_CONSOLES = 16;
/** A frame from the page: one typed line or literal, far above what a learner types. */
export const CONSOLE_MAX_FRAME = 64 * 1024;
/** Pause reading imapscope's answers while this much waits to go out to the page. */
const CONSOLE_HIGH_WATER = 1024 * 1024;

const wss = new WebSocketServer({ noServer: true, maxPayload: CONSOLE_MAX_FRAME });
let open = 0;

/** Where to connect for a listen address: a wildcard listen is reached over loopback. */
export function consoleTarget(listen: string): { host: string; port: number } | null {
  const i = listen.lastIndexOf(':');
  const port = Number(listen.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port <= 0) return null;
  const host = listen.slice(0, i).replace(/^\[(.*)\]$/, '$1');
  if (host === '0.0.0.0') return { host: '127.0.0.1', port };
  if (host === '::') return { host: '::1', port };
  return { host, port };
}

/** Handles an upgrade to `/console`; refuses when the console is off or the listener not up. */
export function consoleUpgrade(
  ctx: ApiContext,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): void {
  const refuse = (status: string): void => {
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  };
  if (!ctx.console) return refuse('404 Not Found');
  const target = ctx.listen ? consoleTarget(ctx.listen) : null;
  if (!target) return refuse('503 Service Unavailable');
  if (open >= MAX_CONSOLES) return refuse('503 Service Unavailable');
  open++;
  wss.handleUpgrade(req, socket, head, (ws) => bridge(ws, target));
}

function bridge(ws: WebSocket, target: { host: string; port: number }): void {
  const imap = net.connect(target);
  let done = false;
  const finish = (reason: string): void => {
    if (done) return;
    done = true;
    open--;
    if (ws.readyState === ws.OPEN) {
      ws.send(JSON.stringify({ type: 'closed', reason }));
      ws.close(1000);
    }
    imap.destroy();
  };
  imap.on('connect', () => {
    ws.send(JSON.stringify({ type: 'open', local: `${imap.localAddress}:${imap.localPort}` }));
  });
  imap.on('data', (chunk: Buffer) => {
    ws.send(chunk, { binary: true }, () => {
      if (ws.bufferedAmount < CONSOLE_HIGH_WATER) imap.resume();
    });
    if (ws.bufferedAmount >= CONSOLE_HIGH_WATER) imap.pause();
  });
  imap.on('error', (err: NodeJS.ErrnoException) => finish(err.code ?? err.message));
  imap.on('close', () => finish('the server closed the connection'));
  ws.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => {
    const bytes = Array.isArray(data)
      ? Buffer.concat(data)
      : Buffer.isBuffer(data)
        ? data
        : Buffer.from(data);
    if (!imap.write(bytes)) {
      ws.pause();
      imap.once('drain', () => ws.resume());
    }
  });
  ws.on('error', () => finish('viewer connection error'));
  ws.on('close', () => finish('viewer closed the console'));
}
