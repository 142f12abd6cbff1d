import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Duplex } from 'node:stream';
import tls from 'node:tls';
import { CertificateAuthority } from '../../proxy/net/ca.ts';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startListener } from '../../proxy/net/listener.ts';
import type { ProxiedPeer } from '../../proxy/net/listener.ts';
import { parseCidr } from '../../proxy/net/cidr.ts';
import type { Cidr } from '../../proxy/net/cidr.ts';
import { trustChecker } from '../../proxy/net/proxy-accept.ts';
import fc from 'fast-check';
import { encodeProxyV2, parseProxyHeader } from '../../proxy/net/proxy-header.ts';
import { mutatedHeader } from '../fuzz/proxy-header.ts';

const servers: net.Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

interface Handed {
  proxied: ProxiedPeer | undefined;
  bytes: Buffer;
}

/** A listener with --proxy-protocol whose handler reads what the relay would read. */
async function listen(trusted: string, timeoutMs = 5_000) {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: 'info' }, { write: (l: string) => lines.push(JSON.parse(l)) });
  const handed: Handed[] = [];
  const { server, address } = await startListener(
    { host: '127.0.0.1', port: 0 },
    (s, proxied) => {
      const entry: Handed = { proxied, bytes: Buffer.alloc(0) };
      handed.push(entry);
      // As the relay does: attach a reader and resume the paused socket.
      s.on('data', (c: Buffer) => (entry.bytes = Buffer.concat([entry.bytes, c])));
      s.on('end', () => s.end('* BYE done\r\n'));
      s.resume();
    },
    {
      log,
      proxyProtocol: {
        trusted: trustChecker(trusted.split(',').map((c) => parseCidr(c) as Cidr)),
        timeoutMs,
      },
    },
  );
  servers.push(server);
  return { port: address.port, handed, lines };
}

/** Connects from `localAddress`, writes `chunks` (one write each), half-closes, reads until close. */
function converse(
  port: number,
  chunks: Buffer[],
  localAddress = '127.0.0.1',
  endAfter = true,
): Promise<{ text: string; localPort: number }> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port, localAddress });
    let text = '';
    let localPort = 0;
    s.on('connect', () => {
      localPort = s.localPort ?? 0;
      for (const c of chunks) s.write(c);
      if (endAfter) s.end();
    });
    s.on('data', (c: Buffer) => (text += c.toString()));
    s.on('error', () => {});
    s.on('close', () => resolve({ text, localPort }));
  });
}

const IMAP = Buffer.from('a1 LOGIN u p\r\na2 LOGOUT\r\n');

describe('the listener with --proxy-protocol', () => {
  it('hands over the client a v2 header names, with the IMAP bytes sent in the same write', async () => {
    const { port, handed } = await listen('127.0.0.0/8');
    const header = encodeProxyV2(
      { host: '192.0.2.7', port: 50000 },
      { host: '10.0.0.1', port: 143 },
    );
    const { text } = await converse(port, [Buffer.concat([header, IMAP])]);
    expect(text).toBe('* BYE done\r\n');
    expect(handed).toHaveLength(1);
    expect(handed[0]!.proxied).toEqual({
      client: { host: '192.0.2.7', port: 50000 },
      destination: { host: '10.0.0.1', port: 143 },
    });
    expect(handed[0]!.bytes).toEqual(IMAP);
  });

  it('waits for a v1 header sent in pieces and loses none of the bytes after it', async () => {
    const { port, handed } = await listen('127.0.0.1');
    const all = Buffer.concat([
      Buffer.from('PROXY TCP4 198.51.100.9 127.0.0.1 4242 1143\r\n'),
      IMAP,
    ]);
    const pieces = [
      all.subarray(0, 3),
      all.subarray(3, 30),
      all.subarray(30, 47),
      all.subarray(47),
    ];
    await converse(port, pieces);
    expect(handed[0]!.proxied?.client).toEqual({ host: '198.51.100.9', port: 4242 });
    expect(handed[0]!.bytes).toEqual(IMAP);
  });

  it("a LOCAL header (a health check) keeps the connection's own peer as the client", async () => {
    const { port, handed } = await listen('127.0.0.1');
    const local = Buffer.concat([
      encodeProxyV2({ host: '::1', port: 1 }, { host: '1.2.3.4', port: 2 }),
    ]);
    const { localPort } = await converse(port, [local]);
    expect(handed[0]!.proxied?.client).toEqual({ host: '127.0.0.1', port: localPort });
  });

  it('refuses a peer outside --proxy-trusted without reading a byte, and logs it', async () => {
    const { port, handed, lines } = await listen('127.0.0.2/32');
    const header = encodeProxyV2({ host: '192.0.2.7', port: 1 }, { host: '10.0.0.1', port: 2 });
    const { text } = await converse(port, [Buffer.concat([header, IMAP])], '127.0.0.1');
    expect(text).toBe('');
    expect(handed).toHaveLength(0);
    expect(lines).toContainEqual(
      expect.objectContaining({
        peer: '127.0.0.1',
        msg: 'PROXY protocol: connection from an address outside --proxy-trusted refused',
      }),
    );
    // The same header from the trusted address goes through.
    await converse(port, [Buffer.concat([header, IMAP])], '127.0.0.2');
    expect(handed).toHaveLength(1);
  });

  it('refuses IMAP without a header, a malformed header and a silent peer, each logged', async () => {
    const { port, handed, lines } = await listen('127.0.0.0/8', 300);
    expect((await converse(port, [IMAP])).text).toBe('');
    expect(lines.at(-1)).toMatchObject({ code: 'ERR_PROXY_MISSING' });
    // One log line per interval: the next refusals are counted, not logged, so look at them
    // through the handler instead.
    expect(
      (await converse(port, [Buffer.from('PROXY TCP4 1.2.3.4 5.6.7.8 1 99999\r\n')])).text,
    ).toBe('');
    expect((await converse(port, [Buffer.from('PROXY TCP4 1.2')], '127.0.0.1', false)).text).toBe(
      '',
    );
    expect(handed).toHaveLength(0);
  });

  it('logs a silent peer as a timeout', async () => {
    const { port, handed, lines } = await listen('127.0.0.0/8', 200);
    expect((await converse(port, [], '127.0.0.1', false)).text).toBe('');
    expect(handed).toHaveLength(0);
    expect(lines.at(-1)).toMatchObject({ code: 'ERR_PROXY_TIMEOUT' });
  });

  it('survives fuzzed headers: each is handed over exactly when the parser accepts it', async () => {
    const { port, handed } = await listen('127.0.0.0/8', 300);
    const inputs = fc.sample(mutatedHeader(), { numRuns: 60, seed: 15 });
    for (const bytes of inputs) {
      const before = handed.length;
      // Half-closing after the bytes: an incomplete header ends as ERR_PROXY_CLOSED.
      await converse(port, [bytes]);
      const accepted = parseProxyHeader(bytes).type === 'header';
      expect(handed.length - before).toBe(accepted ? 1 : 0);
    }
    // Still listening, still correct.
    const header = encodeProxyV2({ host: '192.0.2.1', port: 9 }, { host: '10.0.0.1', port: 143 });
    await converse(port, [Buffer.concat([header, IMAP])]);
    expect(handed.at(-1)!.bytes).toEqual(IMAP);
  });

  it('a TLS client whose ClientHello shares a write with the header completes its handshake', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'imapscope-proxy-tls-'));
    try {
      const ca = await CertificateAuthority.load(dir);
      const secureContext = await ca.contextFor(['localhost']);
      // imapscope's side with --client-tls implicit: TLS over the socket the listener hands over.
      const { server, address } = await startListener(
        { host: '127.0.0.1', port: 0 },
        (s) => {
          const t = new tls.TLSSocket(s, { isServer: true, secureContext });
          t.on('error', () => {});
          t.on('secure', () => t.end('* OK over TLS\r\n'));
        },
        { proxyProtocol: { trusted: () => true } },
      );
      servers.push(server);
      // The client's TLS runs over a stream we drive, so its ClientHello can be put in one
      // TCP write with the PROXY header, as a balancer may coalesce them.
      const raw = net.connect(address);
      raw.on('error', () => {});
      await new Promise((r) => raw.once('connect', r));
      const header = encodeProxyV2({ host: '192.0.2.7', port: 1 }, { host: '10.0.0.1', port: 993 });
      let first = true;
      const pipe = new Duplex({
        write(chunk: Buffer, _enc, done) {
          raw.write(first ? Buffer.concat([header, chunk]) : chunk, done);
          first = false;
        },
        read() {},
      });
      raw.on('data', (c: Buffer) => pipe.push(c));
      raw.on('end', () => pipe.push(null));
      const client = tls.connect({ socket: pipe, servername: 'localhost', ca: ca.certPem });
      const text = await new Promise<string>((resolve, reject) => {
        let got = '';
        client.on('data', (c: Buffer) => (got += c.toString()));
        client.on('end', () => resolve(got));
        client.on('error', reject);
      });
      expect(text).toBe('* OK over TLS\r\n');
      raw.destroy();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
