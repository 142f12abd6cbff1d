import { createServer, connect } from 'node:net';
import type { Server, Socket } from 'node:net';
import { randomBytes, createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import { startListener } from '../../proxy/net/listener.ts';
import { relayConnection } from '../../proxy/net/relay.ts';
import type { SessionSummary } from '../../proxy/net/relay.ts';
import type { HostPort } from '../../proxy/config.ts';
import type { TapChunk } from '../../proxy/net/tap.ts';

// These are unit tests of the relay's socket handling against a scripted TCP peer;
// the real-server proof (Dovecot and real clients) lives in test/e2e.

const closers: (() => void)[] = [];
afterEach(() => {
  while (closers.length) closers.pop()!();
});

function listen(server: Server): Promise<HostPort> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      closers.push(() => server.close());
      resolve({ host: '127.0.0.1', port: (server.address() as { port: number }).port });
    }),
  );
}

interface Harness {
  proxy: HostPort;
  upstreamSockets: Socket[];
  closed: SessionSummary[];
  tapped: TapChunk[];
  logs: { level: number; msg: string; [k: string]: unknown }[];
}

async function harness(onUpstream: (s: Socket) => void, upstream?: HostPort): Promise<Harness> {
  const h: Harness = {
    proxy: { host: '', port: 0 },
    upstreamSockets: [],
    closed: [],
    tapped: [],
    logs: [],
  };
  let target = upstream;
  if (!target) {
    const server = createServer({ allowHalfOpen: true }, (s) => {
      h.upstreamSockets.push(s);
      s.on('error', () => {}); // resets are expected in some tests; each test asserts what it needs
      onUpstream(s);
    });
    target = await listen(server);
  }
  const log = pino({ level: 'debug' }, { write: (line: string) => h.logs.push(JSON.parse(line)) });
  const { server, address } = await startListener({ host: '127.0.0.1', port: 0 }, (socket) =>
    relayConnection(socket, {
      upstream: target!,
      log,
      inspect: () => ({ chunks: (b) => h.tapped.push(...b), gap() {}, close() {} }),
      onClose: (s) => h.closed.push(s),
    }),
  );
  closers.push(() => server.close());
  h.proxy = address;
  return h;
}

function until(cond: () => boolean, ms = 5000): Promise<void> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      if (cond()) resolve();
      else if (Date.now() - start > ms) reject(new Error('timed out waiting'));
      else setTimeout(tick, 5);
    };
    tick();
  });
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('the relay', () => {
  it('forwards bytes unchanged both ways and reports the byte counts when the session closes', async () => {
    const up = randomBytes(3_000_000);
    const down = randomBytes(2_000_000);
    const received: Buffer[] = [];
    const h = await harness((s) => {
      s.on('data', (c) => received.push(c));
      s.on('end', () => s.end(down));
    });
    const client = connect(h.proxy.port, '127.0.0.1');
    const got: Buffer[] = [];
    client.on('data', (c) => got.push(c));
    client.end(up);
    await new Promise((r) => client.on('close', r));
    await until(() => h.closed.length === 1);
    expect(sha(Buffer.concat(received))).toBe(sha(up));
    expect(sha(Buffer.concat(got))).toBe(sha(down));
    expect(h.closed[0]!.bytes).toEqual({ c2s: up.length, s2c: down.length });
    expect(h.closed[0]!.reason).toBe('closed');
    expect(h.closed[0]!.closedFirst).toBe('client');
    const tappedC2s = Buffer.concat(
      h.tapped.filter((t) => t.direction === 'c2s').map((t) => t.data),
    );
    expect(sha(tappedC2s)).toBe(sha(up));
  });

  it('passes a half-close on: the upstream sees FIN and can still answer', async () => {
    const h = await harness((s) => {
      s.on('end', () => s.end('* BYE after your FIN\r\n'));
      s.resume();
    });
    const client = connect({ port: h.proxy.port, host: '127.0.0.1', allowHalfOpen: true });
    let answer = '';
    client.on('data', (c) => (answer += c.toString()));
    await new Promise((r) => client.on('connect', r));
    client.end('a LOGOUT\r\n');
    await new Promise((r) => client.on('end', r));
    expect(answer).toBe('* BYE after your FIN\r\n');
  });

  it('reports the upstream as the side that closed first when it hangs up on its own', async () => {
    const h = await harness((s) => {
      s.end('* OK hello\r\n');
    });
    const client = connect({ port: h.proxy.port, host: '127.0.0.1', allowHalfOpen: true });
    client.resume();
    await new Promise((r) => client.on('end', r));
    client.end();
    await until(() => h.closed.length === 1);
    expect(h.closed[0]).toMatchObject({ reason: 'closed', closedFirst: 'upstream' });
  });

  it('turns an upstream reset into a reset of the client connection', async () => {
    const h = await harness((s) => {
      s.once('data', () => s.resetAndDestroy());
    });
    const client = connect(h.proxy.port, '127.0.0.1');
    const error = new Promise<NodeJS.ErrnoException>((r) => client.on('error', r));
    client.write('a NOOP\r\n');
    expect((await error).code).toBe('ECONNRESET');
    await until(() => h.closed.length === 1);
    expect(h.closed[0]!.reason).toBe('upstream-reset');
  });

  it('turns a client reset into a reset of the upstream connection', async () => {
    const upstreamError = new Promise<NodeJS.ErrnoException>((resolve) => {
      void harness((s) => s.on('error', resolve)).then((h) => {
        const client = connect(h.proxy.port, '127.0.0.1', () => {
          client.write('a NOOP\r\n', () => setTimeout(() => client.resetAndDestroy(), 50));
        });
        client.on('error', () => {});
      });
    });
    expect((await upstreamError).code).toBe('ECONNRESET');
  });

  it('answers BYE [UNAVAILABLE] naming the upstream when it refuses, and logs why', async () => {
    const dead = createServer();
    const addr = await listen(dead);
    dead.close();
    const h = await harness(() => {}, addr);
    const client = connect(h.proxy.port, '127.0.0.1');
    let text = '';
    client.on('data', (c) => (text += c.toString()));
    client.write('a LOGIN x y\r\n');
    await new Promise((r) => client.on('close', r));
    expect(text).toBe(
      `* BYE [UNAVAILABLE] imapscope cannot reach upstream 127.0.0.1:${addr.port}: ECONNREFUSED\r\n`,
    );
    const line = h.logs.find((l) => l.msg === 'upstream unavailable');
    expect(line).toMatchObject({
      level: 40,
      code: 'ECONNREFUSED',
      upstream: `127.0.0.1:${addr.port}`,
    });
    await until(() => h.closed.length === 1);
    expect(h.closed[0]!.reason).toBe('upstream-unavailable');
  });

  it("logs a session's opening at debug, with its client and upstream, and not at info", async () => {
    const dead = createServer();
    const addr = await listen(dead);
    dead.close();
    const h = await harness(() => {}, addr);
    const client = connect(h.proxy.port, '127.0.0.1');
    client.on('data', () => {});
    client.write('a NOOP\r\n');
    await new Promise((r) => client.on('close', r));
    await until(() => h.closed.length === 1);
    expect(h.logs.filter((l) => l.msg === 'session open')).toMatchObject([
      {
        level: 20,
        upstream: `127.0.0.1:${addr.port}`,
        client: expect.stringMatching(/^127\.0\.0\.1:/),
      },
    ]);
  });

  it('stops reading from the upstream while the client does not read (bounded buffering)', async () => {
    let written = 0;
    const h = await harness((s) => {
      const block = Buffer.alloc(64 * 1024, 0x61);
      const pump = (): void => {
        while (written < 200 * 1024 * 1024) {
          written += block.length;
          if (!s.write(block)) return void s.once('drain', pump);
        }
      };
      pump();
    });
    const client = connect(h.proxy.port, '127.0.0.1');
    client.pause(); // a reader that never reads
    await new Promise((r) => setTimeout(r, 1000));
    const stalledAt = written;
    await new Promise((r) => setTimeout(r, 500));
    // Only socket buffers (kernel and one write buffer per leg) may hold data: a few MB, never the 200 MB.
    expect(written).toBe(stalledAt);
    expect(written).toBeLessThan(32 * 1024 * 1024);
    client.destroy();
  });

  it('accepts 1,000 simultaneous connects and serves every one', async () => {
    const h = await harness((s) => s.end('* OK ready\r\n'));
    const results = await Promise.all(
      Array.from(
        { length: 1000 },
        () =>
          new Promise<string>((resolve, reject) => {
            const c = connect(h.proxy.port, '127.0.0.1');
            let t = '';
            c.on('data', (d) => (t += d.toString()));
            c.on('close', () => resolve(t));
            c.on('error', reject);
          }),
      ),
    );
    expect(results.filter((t) => t === '* OK ready\r\n')).toHaveLength(1000);
  });
});
