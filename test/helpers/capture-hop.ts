/**
 * A capturing TCP hop: a test instrument placed in front of or behind imapscope. It relays
 * bytes unchanged with Node's own pipe() and records, per connection and direction, how many
 * bytes passed and their sha256. It witnesses what a client or a server really sent and
 * received on the wire; it does not stand in for anything.
 */
import { createHash, type Hash } from 'node:crypto';
import net from 'node:net';

export class Capture {
  bytes = 0;
  private readonly hash: Hash = createHash('sha256');
  private readonly chunks: Buffer[] | undefined;
  private digest: string | undefined;

  constructor(keep: boolean) {
    this.chunks = keep ? [] : undefined;
  }

  add(chunk: Buffer): void {
    this.bytes += chunk.length;
    this.hash.update(chunk);
    this.chunks?.push(chunk);
  }

  /** Hex sha256 of everything seen; the first call finalizes the capture. */
  sha256(): string {
    this.digest ??= this.hash.digest('hex');
    return this.digest;
  }

  /** The bytes themselves, when the hop was started with `keep: true`. */
  data(): Buffer {
    if (!this.chunks) throw new Error('capture started without keep: true');
    return Buffer.concat(this.chunks);
  }
}

export interface CapturedConnection {
  c2s: Capture;
  s2c: Capture;
  /** Resolves when both sockets of this connection have closed. */
  closed: Promise<void>;
}

export interface CaptureHop {
  host: string;
  port: number;
  connections: CapturedConnection[];
  stop(): Promise<void>;
}

/** Listens on a free loopback port and relays each connection to `target`. */
export function startCaptureHop(
  target: { host: string; port: number },
  opts: { keep?: boolean } = {},
): Promise<CaptureHop> {
  const connections: CapturedConnection[] = [];
  const sockets = new Set<net.Socket>();
  // Half-open sockets: a FIN from one side is relayed as a FIN, nothing more.
  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    const upstream = net.connect({ ...target, allowHalfOpen: true });
    const conn: CapturedConnection = {
      c2s: new Capture(opts.keep ?? false),
      s2c: new Capture(opts.keep ?? false),
      closed: Promise.all([
        new Promise<void>((r) => client.on('close', () => r())),
        new Promise<void>((r) => upstream.on('close', () => r())),
      ]).then(() => undefined),
    };
    connections.push(conn);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    }
    client.on('data', (chunk: Buffer) => conn.c2s.add(chunk));
    upstream.on('data', (chunk: Buffer) => conn.s2c.add(chunk));
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  return new Promise((resolve, reject) => {
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address() as net.AddressInfo;
      resolve({
        host: '127.0.0.1',
        port: address.port,
        connections,
        stop: async () => {
          for (const s of sockets) s.destroy();
          await new Promise<void>((r) => server.close(() => r()));
        },
      });
    });
  });
}
