import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import type { HostPort } from '../config.ts';
import { LISTEN_BACKLOG } from '../limits.ts';
import { WarnThrottle } from '../log.ts';
import type { Logger } from '../log.ts';
import { clientOf, destinationOf, readProxyHeader } from './proxy-accept.ts';

/** What a client past --max-connections reads before imapscope closes the connection. */
export const TOO_MANY_BYE = '* BYE [UNAVAILABLE] too many connections\r\n';

export interface ListenerOptions {
  backlog?: number;
  /** Connections handed to onConnection at once; more get TOO_MANY_BYE and are closed. */
  maxConnections?: number;
  /** The refusal can be written in plaintext (false with --client-tls implicit: just close). */
  plainBye?: boolean;
  /** Rate-limited warnings: refused connections, failed accepts (EMFILE…). */
  log?: Logger;
  /**
   * Expect a PROXY header (v1 or v2) first on every connection, and only from addresses
   * `trusted` says yes to. Without it the socket's peer is the client.
   */
  proxyProtocol?: { trusted: (address: string) => boolean; timeoutMs?: number };
}

/** Who a relayed connection is from, when a PROXY header named them. */
export interface ProxiedPeer {
  /** The real client, as the load balancer saw it. */
  client: HostPort;
  /** What that client dialled (the balancer's frontend address). */
  destination: HostPort;
}

/**
 * Listens for mail clients. Connections arrive paused (nothing is read until
 * the relay has an upstream to hand bytes to) and half-open capable (a client's
 * FIN is passed on, not answered by closing). Resolves with the bound address
 * (the real port when 0 was asked for); rejects with the listen error.
 *
 * With `proxyProtocol`, a connection is handed over only after its PROXY header, with the
 * client the header names (see acceptProxied); otherwise at once.
 *
 * Past `maxConnections` open at once, a client gets one BYE line and is closed, never
 * relayed. A failed accept (EMFILE when out of file descriptors) is logged, at most once per
 * WARN_INTERVAL_MS with a count, and survived: libuv closes the connection it could not
 * take, so the client sees a close rather than a hang, and the listener goes on.
 */
export function startListener(
  at: HostPort,
  onConnection: (socket: Socket, proxied?: ProxiedPeer) => void,
  opts: ListenerOptions = {},
): Promise<{ server: Server; address: HostPort }> {
  const max = opts.maxConnections ?? Infinity;
  const refusedWarn = new WarnThrottle();
  const acceptWarn = new WarnThrottle();
  const untrustedWarn = new WarnThrottle();
  const badHeaderWarn = new WarnThrottle();
  const proxy = opts.proxyProtocol;
  /**
   * With --proxy-protocol: a peer outside --proxy-trusted, or one whose header is missing,
   * malformed or late, is closed without a word (it is not known to speak IMAP, and nothing
   * reached the upstream); the log says why, at most once per WARN_INTERVAL_MS per kind.
   */
  const acceptProxied = (s: Socket): void => {
    s.on('error', () => {});
    const peer = s.remoteAddress ?? '?';
    if (!proxy!.trusted(peer)) {
      s.destroy();
      const n = untrustedWarn.hit();
      if (n !== null)
        opts.log?.warn(
          { peer, refused: n },
          'PROXY protocol: connection from an address outside --proxy-trusted refused',
        );
      return;
    }
    void readProxyHeader(s, proxy!.timeoutMs).then((r) => {
      if (s.destroyed) return;
      if (!r.ok) {
        s.destroy();
        const n = badHeaderWarn.hit();
        if (n !== null)
          opts.log?.warn(
            { peer, code: r.code, err: r.message, refused: n },
            'PROXY protocol: connection without a valid header refused',
          );
        return;
      }
      onConnection(s, { client: clientOf(r.header, s), destination: destinationOf(r.header, s) });
    });
  };
  let open = 0;
  const server = createServer({ pauseOnConnect: true, allowHalfOpen: true, noDelay: true }, (s) => {
    if (open >= max) {
      refuse(s, opts.plainBye ?? true);
      const n = refusedWarn.hit();
      if (n !== null)
        opts.log?.warn(
          { maxConnections: max, refused: n },
          'too many connections: refusing clients (--max-connections)',
        );
      return;
    }
    open += 1;
    s.once('close', () => (open -= 1));
    if (proxy) acceptProxied(s);
    else onConnection(s);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: at.host, port: at.port, backlog: opts.backlog ?? LISTEN_BACKLOG }, () => {
      server.off('error', reject);
      // Once listening, an 'error' is a failed accept; without a listener it would end the process.
      server.on('error', (err: NodeJS.ErrnoException) => {
        const n = acceptWarn.hit();
        if (n !== null)
          opts.log?.warn({ code: err.code, err: err.message, failures: n }, 'accept failed');
      });
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : at.port;
      resolve({ server, address: { host: at.host, port } });
    });
  });
}

/** One BYE line and a close; what the client sends meanwhile is read and discarded. */
function refuse(socket: Socket, plainBye: boolean): void {
  socket.on('error', () => {});
  if (!plainBye) {
    socket.destroy();
    return;
  }
  // Reading (and discarding) keeps the close from turning into a reset that loses the BYE.
  socket.on('data', () => {});
  socket.on('end', () => socket.destroy());
  socket.resume();
  socket.end(TOO_MANY_BYE);
  setTimeout(() => socket.destroy(), 2000).unref();
}
