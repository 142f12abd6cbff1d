/**
 * Test only: a TCP forwarder between imapscope and Dovecot that may mutate what Dovecot sends
 * (so imapscope relays and inspects hostile server bytes) and records, per connection, exactly
 * what it received from imapscope and what it sent to it. The fuzz targets compare those
 * records with what their client sent and read: the relay must change no byte either way.
 */
import net from 'node:net';

/** What one connection through the forwarder carried, as seen on imapscope's side. */
export interface ForwardedConnection {
  /** Bytes imapscope sent (the client's, relayed). */
  fromScope: Buffer[];
  /** Bytes the forwarder sent to imapscope (Dovecot's, mutated or not). */
  toScope: Buffer[];
  closed: Promise<void>;
}

export interface MutatingForwarder {
  host: string;
  port: number;
  /** Mutates Dovecot's chunks on the next connections (null: pass them as they are). */
  mutate: ((chunk: Buffer) => Buffer) | null;
  /** Resolves with the next connection accepted (call before connecting). */
  next(): Promise<ForwardedConnection>;
  close(): Promise<void>;
}

export async function startMutatingForwarder(upstream: {
  host: string;
  port: number;
}): Promise<MutatingForwarder> {
  const waiting: ((c: ForwardedConnection) => void)[] = [];
  const sockets = new Set<net.Socket>();
  const fwd: MutatingForwarder = {
    host: '127.0.0.1',
    port: 0,
    mutate: null,
    next: () => new Promise((resolve) => waiting.push(resolve)),
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  const server = net.createServer((scope) => {
    const mutate = fwd.mutate;
    const up = net.connect(upstream.port, upstream.host);
    sockets.add(scope);
    sockets.add(up);
    let ended = 0;
    let done: () => void = () => {};
    const conn: ForwardedConnection = {
      fromScope: [],
      toScope: [],
      closed: new Promise((r) => (done = r)),
    };
    const end = (): void => {
      if (++ended === 2) done();
    };
    scope.on('data', (c: Buffer) => {
      conn.fromScope.push(Buffer.from(c));
      up.write(c);
    });
    up.on('data', (c: Buffer) => {
      const out = mutate ? mutate(c) : c;
      conn.toScope.push(Buffer.from(out));
      scope.write(out);
    });
    scope.on('end', () => up.end());
    up.on('end', () => scope.end());
    scope.on('error', () => up.destroy());
    up.on('error', () => scope.destroy());
    scope.on('close', () => {
      sockets.delete(scope);
      up.destroy();
      end();
    });
    up.on('close', () => {
      sockets.delete(up);
      scope.destroy();
      end();
    });
    waiting.shift()?.(conn);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fwd.port = (server.address() as net.AddressInfo).port;
  return fwd;
}
