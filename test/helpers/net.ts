/** Small socket utilities for the integration tests. */
import net from 'node:net';

/**
 * Asks the kernel for a free loopback port by binding port 0 and closing again. Another
 * process may take the port before the caller binds it; callers that start servers retry.
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port'));
      });
    });
  });
}

/** Parses `HOST:PORT` (IPv6 hosts in brackets) as written in imapscope's log lines. */
export function parseHostPort(value: string): { host: string; port: number } {
  const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(value);
  if (!m || m[1] === undefined || m[2] === undefined) throw new Error(`not HOST:PORT: ${value}`);
  return { host: m[1], port: Number(m[2]) };
}
