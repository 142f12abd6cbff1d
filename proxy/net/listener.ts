import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import type { HostPort } from '../config.ts';
import { LISTEN_BACKLOG } from '../limits.ts';

/**
 * Listens for mail clients. Connections arrive paused (nothing is read until
 * the relay has an upstream to hand bytes to) and half-open capable (a client's
 * FIN is passed on, not answered by closing). Resolves with the bound address
 * (the real port when 0 was asked for); rejects with the listen error.
 */
export function startListener(
  at: HostPort,
  onConnection: (socket: Socket) => void,
  backlog = LISTEN_BACKLOG,
): Promise<{ server: Server; address: HostPort }> {
  const server = createServer(
    { pauseOnConnect: true, allowHalfOpen: true, noDelay: true },
    onConnection,
  );
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: at.host, port: at.port, backlog }, () => {
      server.off('error', reject);
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : at.port;
      resolve({ server, address: { host: at.host, port } });
    });
  });
}
