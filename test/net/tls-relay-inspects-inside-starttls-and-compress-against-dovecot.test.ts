/**
 * The relay, in process, between a scripted client and a real Dovecot, with TLS on both legs:
 * what the tap hands the inspector, through the TransportFollower the inspection thread puts
 * in front of each pipeline, must be, byte for byte, the plaintext the client sent and
 * received (through STARTTLS and COMPRESS=DEFLATE), and Dovecot's own post-login rawlog.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TransportFollower } from '../../proxy/inspection/transport-follower.ts';
import { WireDecoder } from '../../proxy/wire/index.ts';
import { startListener } from '../../proxy/net/listener.ts';
import { relayConnection } from '../../proxy/net/relay.ts';
import type { SessionSummary } from '../../proxy/net/relay.ts';
import { prepareTls } from '../../proxy/net/tls.ts';
import type { TlsMode } from '../../proxy/net/tls.ts';
import { startDovecot, type Dovecot } from '../helpers/dovecot.ts';
import { followedPipeline, type PipelineRecord } from '../helpers/followed-pipeline.ts';
import { readRawlogs } from '../helpers/dovecot-rawlog.ts';
import { makeMessage } from '../helpers/mail.ts';
import { ScriptedClient } from './scripted-client.ts';

let dovecot: Dovecot;
let tmp: string;
let upstreamCa: string;
const servers: net.Server[] = [];

beforeAll(async () => {
  dovecot = await startDovecot({ rawlog: true });
  tmp = await mkdtemp(path.join(os.tmpdir(), 'imapscope-tls-net-'));
  upstreamCa = path.join(tmp, 'dovecot-ca.pem');
  await writeFile(upstreamCa, dovecot.certPem);
});

afterAll(async () => {
  for (const s of servers) s.close();
  await dovecot?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

type Session = PipelineRecord;

interface Harness {
  port: number;
  caPem: string;
  sessions: Session[];
  summaries: SessionSummary[];
  logs: { msg: string; [k: string]: unknown }[];
}

async function harness(
  clientTls: TlsMode,
  upstreamTls: TlsMode,
  opts: { verify?: boolean } = {},
): Promise<Harness> {
  const upstream = {
    host: dovecot.host,
    port: upstreamTls === 'implicit' ? dovecot.tlsPort : dovecot.port,
  };
  const listen = { host: '127.0.0.1', port: 0 };
  const setup = await prepareTls({
    clientTls,
    upstreamTls,
    dataDir: path.join(tmp, `data-${clientTls}-${upstreamTls}-${servers.length}`),
    listen,
    upstream,
    cert: null,
    key: null,
    upstreamCa: opts.verify === false ? null : upstreamCa,
    upstreamInsecure: false,
  });
  const h: Harness = {
    port: 0,
    caPem: setup.ca?.certPem ?? '',
    sessions: [],
    summaries: [],
    logs: [],
  };
  const log = pino({ level: 'debug' }, { write: (line: string) => h.logs.push(JSON.parse(line)) });
  const { server, address } = await startListener(listen, (socket) =>
    relayConnection(socket, {
      upstream,
      log,
      tls: setup,
      inspect: (_info, _flow, transport) => {
        const s: Session = { chunks: [], transport: [], gaps: [], closed: false };
        h.sessions.push(s);
        // As the inspection thread does (thread.ts): the relay tees the bytes as they crossed,
        // the follower in front of the session's pipeline takes them from where it switched.
        return new TransportFollower(followedPipeline(s).inner, transport.interceptsStarttls);
      },
      onClose: (summary) => h.summaries.push(summary),
    }),
  );
  servers.push(server);
  h.port = address.port;
  return h;
}

const tapped = (s: Session, direction: 'c2s' | 's2c'): Buffer =>
  Buffer.concat(s.chunks.filter((c) => c.direction === direction).map((c) => c.data));

function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      if (cond()) resolve();
      else if (Date.now() - start > ms) reject(new Error('timed out waiting'));
      else setTimeout(tick, 10);
    };
    tick();
  });
}

/** A rawlog with everything after its first `COMPRESS DEFLATE` line or `OK` to it inflated. */
function afterCompress(raw: Buffer): Buffer {
  const text = raw.toString('latin1');
  const m = /^(?:\S+ COMPRESS DEFLATE|\S+ OK [^\n]*[Cc]ompression)[^\n]*\n/m.exec(text);
  if (!m) return raw;
  const end = m.index + m[0].length;
  const rest = zlib.inflateRawSync(raw.subarray(end), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
  return Buffer.concat([raw.subarray(0, end), rest]);
}

const endsWith = (whole: Buffer, tail: Buffer): boolean =>
  tail.length > 0 && whole.length >= tail.length && whole.subarray(-tail.length).equals(tail);

function malformed(direction: 'c2s' | 's2c', bytes: Buffer): unknown[] {
  const decoder = new WireDecoder(direction);
  return decoder.push(bytes).filter((m) => m.type === 'malformed');
}

/** LOGIN, COMPRESS, SELECT, APPEND (LITERAL+), FETCH, LOGOUT on an already secured client. */
async function mailSession(c: ScriptedClient, compress: boolean): Promise<Buffer> {
  await c.command('a3', `LOGIN ${dovecot.user} ${dovecot.password}`);
  if (compress) {
    expect(await c.command('a4', 'COMPRESS DEFLATE')).toMatch(/^a4 OK/m);
    c.startCompress();
  }
  await c.command('a5', 'SELECT INBOX');
  const message = makeMessage(300_000, 'through tls');
  c.send(`a6 APPEND INBOX {${message.length}+}\r\n`);
  c.send(Buffer.concat([message, Buffer.from('\r\n')]));
  expect(await c.waitFor(/^a6 (OK|NO|BAD)[^\n]*\n/m)).toMatch(/a6 OK/);
  const fetched = await c.command('a7', 'FETCH 1:* BODY.PEEK[]');
  expect(fetched).toContain(message.toString('latin1'));
  await c.command('a8', 'LOGOUT');
  return message;
}

describe('the relay with TLS on both legs, against Dovecot', () => {
  it('follows STARTTLS on both legs and COMPRESS: the tap holds exactly the plaintext each side had', async () => {
    const h = await harness('starttls', 'starttls');
    const c = await ScriptedClient.connect(h.port);
    await c.waitFor(/^\* OK[^\n]*\n/);
    await c.command('a1', 'CAPABILITY');
    expect(await c.command('a2', 'STARTTLS')).toMatch(/^a2 OK/m);
    await c.starttls(h.caPem);
    await mailSession(c, true);
    await until(() => c.closed && h.sessions[0]?.closed === true);
    const s = h.sessions[0]!;

    expect(tapped(s, 'c2s').equals(Buffer.concat(c.sent))).toBe(true);
    expect(tapped(s, 's2c').equals(Buffer.concat(c.received))).toBe(true);
    expect(
      s.transport.map((e) =>
        e.type === 'tls.established' ? `${e.type}:${e.leg}:${e.via}` : e.type,
      ),
    ).toEqual([
      'tls.established:upstream:starttls',
      'tls.established:client:starttls',
      'compress.started',
    ]);
    const up = s.transport[0]!;
    expect(up).toMatchObject({
      authorized: true,
      protocol: expect.stringMatching(/^TLSv1\.[23]$/),
    });
    if (up.type === 'tls.established') expect(up.certificate?.subject).toContain('CN=localhost');
    expect(malformed('c2s', tapped(s, 'c2s'))).toEqual([]);
    expect(malformed('s2c', tapped(s, 's2c'))).toEqual([]);

    // Dovecot's post-login rawlog is decrypted but still compressed after COMPRESS: inflate
    // it with zlib itself and it must be the tail of what the tap saw, in both directions.
    const imap = (await readRawlogs(dovecot)).filter((r) => r.stage === 'imap');
    const views = imap.map((r) => ({ in: afterCompress(r.in), out: afterCompress(r.out) }));
    const mine = views.find((v) => v.in.length > 300_000 && endsWith(tapped(s, 'c2s'), v.in));
    expect(mine).toBeDefined();
    expect(endsWith(tapped(s, 's2c'), mine!.out)).toBe(true);
    expect(mine!.out.length).toBeGreaterThan(300_000);
  });

  it('drops plaintext sent after STARTTLS and before the handshake, and reports it', async () => {
    const h = await harness('starttls', 'starttls');
    const c = await ScriptedClient.connect(h.port);
    await c.waitFor(/^\* OK[^\n]*\n/);
    c.send(`a2 STARTTLS\r\na3 LOGIN ${dovecot.user} ${dovecot.password}\r\n`);
    await c.waitFor(/^a2 OK[^\n]*\n/m);
    await c.starttls(h.caPem);
    expect(await c.command('b1', 'NOOP')).toMatch(/^b1 OK/m);
    // Had the injected LOGIN reached Dovecot inside TLS, this would be authenticated.
    expect(await c.command('b2', 'SELECT INBOX')).toMatch(/^b2 (NO|BAD)/m);
    const all = Buffer.concat(c.received).toString('latin1');
    expect(all).not.toMatch(/^a3 /m);
    const s = h.sessions[0]!;
    await until(() => s.transport.some((e) => e.type === 'transport.notice'));
    expect(s.transport.find((e) => e.type === 'transport.notice')).toMatchObject({
      code: 'STARTTLS_INJECTION',
      direction: 'c2s',
      bytes: `a3 LOGIN ${dovecot.user} ${dovecot.password}\r\n`.length,
    });
    c.end();
  });

  it('inspects implicit TLS on both legs with COMPRESS, byte for byte', async () => {
    const h = await harness('implicit', 'implicit');
    const c = await ScriptedClient.connect(h.port, h.caPem);
    await c.waitFor(/^\* OK[^\n]*\n/);
    await mailSession(c, true);
    await until(() => c.closed && h.sessions[0]?.closed === true);
    const s = h.sessions[0]!;
    expect(tapped(s, 'c2s').equals(Buffer.concat(c.sent))).toBe(true);
    expect(tapped(s, 's2c').equals(Buffer.concat(c.received))).toBe(true);
    expect(s.transport.map((e) => e.type)).toEqual([
      'tls.established',
      'tls.established',
      'compress.started',
    ]);
    expect(malformed('s2c', tapped(s, 's2c'))).toEqual([]);
  });

  it('answers STARTTLS itself over an implicit-TLS or plain upstream, advertising it first, and taps what the client saw', async () => {
    for (const upstreamTls of ['implicit', 'none'] as const) {
      const h = await harness('starttls', upstreamTls);
      const c = await ScriptedClient.connect(h.port);
      const greeting = await c.waitFor(/^\* OK[^\n]*\n/);
      expect(greeting).toMatch(/^\* OK \[CAPABILITY [^\]]*\bSTARTTLS\b[^\]]*\] /);
      expect(greeting.match(/STARTTLS/g)).toHaveLength(1);
      const caps = await c.command('a1', 'CAPABILITY');
      expect(caps).toMatch(/^\* CAPABILITY [^\n]*\bSTARTTLS\b/m);
      expect(await c.command('a2', 'STARTTLS')).toMatch(
        /^a2 OK Begin TLS negotiation now \(imapscope\)/m,
      );
      await c.starttls(h.caPem);
      // Inside TLS the server's own list is shown again, unchanged.
      const after = await c.command('b1', 'CAPABILITY');
      if (upstreamTls === 'implicit') expect(after).not.toMatch(/STARTTLS/);
      await mailSession(c, true);
      await until(() => c.closed && h.sessions.at(-1)?.closed === true);
      const s = h.sessions.at(-1)!;
      expect(tapped(s, 'c2s').equals(Buffer.concat(c.sent))).toBe(true);
      expect(tapped(s, 's2c').equals(Buffer.concat(c.received))).toBe(true);
      expect(
        s.transport.map((e) =>
          e.type === 'tls.established' ? `${e.type}:${e.leg}:${e.via}` : e.type,
        ),
      ).toEqual([
        ...(upstreamTls === 'implicit' ? ['tls.established:upstream:implicit'] : []),
        'tls.established:client:starttls',
        'compress.started',
      ]);
      expect(malformed('c2s', tapped(s, 'c2s'))).toEqual([]);
      expect(malformed('s2c', tapped(s, 's2c'))).toEqual([]);
    }
  });

  it('upgrades the upstream itself for a plain client and shows it the post-TLS capabilities', async () => {
    const h = await harness('none', 'starttls');
    const c = await ScriptedClient.connect(h.port);
    const greeting = await c.waitFor(/^\* OK[^\n]*\n/);
    expect(greeting).toMatch(/^\* OK \[CAPABILITY [^\]]*AUTH=PLAIN[^\]]*\] /);
    expect(greeting).not.toMatch(/STARTTLS|LOGINDISABLED/);
    await mailSession(c, false);
    await until(() => h.sessions[0]?.closed === true);
    const s = h.sessions[0]!;
    expect(tapped(s, 's2c').equals(Buffer.concat(c.received))).toBe(true);
    expect(s.transport[0]).toMatchObject({
      type: 'tls.established',
      leg: 'upstream',
      via: 'starttls',
    });
  });

  it('gets the client a BYE that names the failed verification when the upstream is not trusted', async () => {
    const h = await harness('none', 'implicit', { verify: false });
    const c = await ScriptedClient.connect(h.port);
    const bye = await c.waitFor(/\n/);
    expect(bye).toMatch(
      /^\* BYE \[UNAVAILABLE\] imapscope: upstream 127\.0\.0\.1:\d+ certificate verification failed: .*self[- ]signed/i,
    );
    await until(() => h.summaries.length === 1);
    expect(h.summaries[0]!.reason).toBe('upstream-tls-failed');
    expect(h.logs.some((l) => /upstream TLS failed/.test(l.msg))).toBe(true);
  });

  it('closes a client whose handshake fails with one log line, and serves the next client', async () => {
    const h = await harness('implicit', 'implicit');
    const bad = net.connect({ host: '127.0.0.1', port: h.port });
    bad.on('error', () => {});
    bad.write('a1 NOOP\r\n'); // plaintext to a TLS port
    await new Promise((r) => bad.on('close', r));
    await until(() => h.summaries.length === 1);
    expect(h.summaries[0]!.reason).toBe('client-tls-failed');
    expect(h.logs.filter((l) => l.msg === 'client TLS handshake failed')).toHaveLength(1);
    const good = await ScriptedClient.connect(h.port, h.caPem);
    await good.waitFor(/^\* OK[^\n]*\n/);
    expect(await good.command('a1', 'NOOP')).toMatch(/^a1 OK/m);
    good.end();
  });
});
