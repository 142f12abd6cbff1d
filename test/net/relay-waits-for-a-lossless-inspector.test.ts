import { createHash, randomBytes } from 'node:crypto';
import { connect, createServer } from 'node:net';
import type { Server } from 'node:net';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { HostPort } from '../../proxy/config.ts';
import { startListener } from '../../proxy/net/listener.ts';
import { relayConnection } from '../../proxy/net/relay.ts';
import type { InspectionFlow, SessionInspector } from '../../proxy/transport.ts';

// The relay's side of `--inspection lossless` against a scripted TCP peer: an inspector that
// pauses the session stops the transfer (nothing dropped, nothing piling up), and resuming
// lets every byte through, to the client and to the inspector alike.

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

function until(cond: () => boolean, ms = 10_000): Promise<void> {
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
const TOTAL = 24 * 1024 * 1024;
const HOLD = 4 * 1024 * 1024;

describe('a relay with a lossless inspector', () => {
  it('stops the transfer while the inspector is paused and delivers every byte to both once it resumes', async () => {
    const payload = randomBytes(TOTAL);
    const upstream = await listen(createServer((s) => s.end(payload)));
    const tapped: Buffer[] = [];
    let held = 0;
    let hold = true;
    let gaps = 0;
    let flow: InspectionFlow | null = null;
    const inspector: SessionInspector = {
      lossless: true,
      chunks(batch) {
        for (const c of batch) tapped.push(Buffer.from(c.data));
        held += batch.reduce((n, c) => n + c.data.length, 0);
        if (hold && held > HOLD) flow!.pause();
      },
      gap: () => void (gaps += 1),
      close() {},
    };
    const log = pino({ level: 'silent' });
    const { server, address } = await startListener({ host: '127.0.0.1', port: 0 }, (socket) =>
      relayConnection(socket, {
        upstream,
        log,
        inspect: (_info, f) => ((flow = f), inspector),
      }),
    );
    closers.push(() => server.close());

    const received: Buffer[] = [];
    let receivedBytes = 0;
    const client = connect(address.port, '127.0.0.1');
    client.on('data', (d: Buffer) => {
      received.push(d);
      receivedBytes += d.length;
    });
    const ended = new Promise((r) => client.on('end', r));

    await until(() => held > HOLD);
    await new Promise((r) => setTimeout(r, 500));
    const stalledAt = receivedBytes;
    await new Promise((r) => setTimeout(r, 300));
    // Paused: the client gets nothing more, and only socket buffers hold the rest.
    expect(receivedBytes).toBe(stalledAt);
    expect(held).toBeLessThan(HOLD + 8 * 1024 * 1024);
    expect(receivedBytes).toBeLessThan(TOTAL);

    hold = false;
    flow!.resume();
    await ended;
    expect(sha(Buffer.concat(received))).toBe(sha(payload));
    expect(sha(Buffer.concat(tapped))).toBe(sha(payload));
    expect(gaps).toBe(0);
    client.destroy();
  });
});
