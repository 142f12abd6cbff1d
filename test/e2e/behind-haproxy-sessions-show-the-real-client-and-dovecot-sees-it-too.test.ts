/**
 * HAProxy (mode tcp, send-proxy and send-proxy-v2) in front of imapscope with
 * --proxy-protocol, imapscope in front of Dovecot with --upstream-proxy-protocol, imapflow
 * as the client: every session names the client as HAProxy saw it, and so does Dovecot.
 */
import net from 'node:net';
import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImapscopeEvent } from '../../shared/events.ts';
import { startDovecot, type Dovecot } from '../helpers/dovecot.ts';
import { startHaproxy, type Haproxy } from '../helpers/haproxy.ts';
import { startImapscope, type Imapscope } from '../helpers/imapscope.ts';
import { until } from '../helpers/poll.ts';
import { apiGet, endedRow, sessionEvents, sessionRows } from '../helpers/scope-api.ts';
import { PLAIN } from '../helpers/scope-over-dovecot.ts';

/** HAProxy connects to imapscope from this address; only it is in --proxy-trusted. */
const BALANCER = '127.0.0.2';

let dovecot: Dovecot;
let scope: Imapscope;
let haproxy: Haproxy;

beforeAll(async () => {
  dovecot = await startDovecot({ haproxy: true });
  scope = await startImapscope([
    '--upstream',
    `${dovecot.host}:${dovecot.haproxyPort}`,
    '--proxy-protocol',
    '--proxy-trusted',
    `${BALANCER}/32,fd00::/8`,
    '--upstream-proxy-protocol',
  ]);
  haproxy = await startHaproxy([
    { to: scope.listen, send: 'v1', source: BALANCER },
    { to: scope.listen, send: 'v2', source: BALANCER, v2Options: 'unique-id,authority,crc32c' },
    // From 127.0.0.1: a balancer imapscope does not trust.
    { to: scope.listen, send: 'v2' },
  ]);
}, 60_000);

afterAll(async () => {
  await haproxy?.stop();
  await scope?.stop();
  await dovecot?.stop();
});

/** Logs in through a HAProxy frontend, lists, logs out; resolves with the client's own port. */
async function sessionThrough(frontend: number): Promise<number> {
  const client = new ImapFlow({
    host: '127.0.0.1',
    port: frontend,
    secure: false,
    auth: { user: dovecot.user, pass: dovecot.password },
    logger: false,
    ...PLAIN,
  });
  await client.connect();
  const port = (client as unknown as { socket: net.Socket }).socket.localPort!;
  await client.list();
  await client.logout();
  return port;
}

describe.each([
  ['send-proxy (v1)', 0],
  ['send-proxy-v2 with TLVs', 1],
])('a client through HAProxy %s', (_name, route) => {
  it('is the session client in the list, events, audit and export, and Dovecot logs it', async () => {
    const port = await sessionThrough(haproxy.ports[route]!);
    const client = `127.0.0.1:${port}`;
    const row = await until(
      'the session row',
      async () => (await sessionRows(scope)).find((r) => r.client === client),
      20_000,
    );
    await endedRow(scope, row.id);
    const rows = (await sessionRows(scope)).filter((r) => r.client === client);
    expect(rows).toHaveLength(1);
    const events = await sessionEvents(scope, row.id);
    const open = events.find((e) => e.type === 'session.open') as Extract<
      ImapscopeEvent,
      { type: 'session.open' }
    >;
    expect(open.client).toEqual({ host: '127.0.0.1', port });
    // The login went through: the client was relayed after its header, byte for byte.
    expect(events.some((e) => e.type === 'state.change')).toBe(true);
    // The audit trail and the JSONL export name the same client.
    const audit = JSON.parse((await apiGet(scope, `/api/audit?session=${row.id}`)).toString()) as {
      client: string;
      kind: string;
    }[];
    expect(audit.length).toBeGreaterThan(0);
    for (const a of audit) expect(a.client).toBe(client);
    const jsonl = (await apiGet(scope, `/api/sessions/${row.id}/export?format=jsonl`)).toString();
    const first = JSON.parse(jsonl.split('\n')[0]!) as { type: string; client: unknown };
    expect(first).toMatchObject({ type: 'session.open', client: { host: '127.0.0.1', port } });
    // Dovecot got imapscope's PROXY v2 header: its login line names the same client port.
    await until(
      'Dovecot login line',
      async () =>
        (await dovecot.log()).includes(`rip=127.0.0.1, rport=${port},`) ? true : undefined,
      20_000,
    );
  });
});

describe('connections imapscope refuses', () => {
  it('from a balancer outside --proxy-trusted: no session, no upstream connection, a log line', async () => {
    const before = (await sessionRows(scope)).length;
    const client = new ImapFlow({
      host: '127.0.0.1',
      port: haproxy.ports[2]!,
      secure: false,
      auth: { user: dovecot.user, pass: dovecot.password },
      logger: false,
      ...PLAIN,
    });
    client.on('error', () => {});
    await expect(client.connect()).rejects.toThrow();
    await scope.waitForLog(
      (l) =>
        l.msg === 'PROXY protocol: connection from an address outside --proxy-trusted refused' &&
        l.peer === '127.0.0.1',
    );
    expect((await sessionRows(scope)).length).toBe(before);
  });

  it('from the trusted address but speaking IMAP without a header', async () => {
    const before = (await sessionRows(scope)).length;
    const text = await new Promise<string>((resolve) => {
      const s = net.connect({ ...scope.listen, localAddress: BALANCER });
      let got = '';
      s.on('connect', () => s.write('a1 CAPABILITY\r\n'));
      s.on('data', (c: Buffer) => (got += c.toString()));
      s.on('error', () => {});
      s.on('close', () => resolve(got));
    });
    expect(text).toBe('');
    await scope.waitForLog((l) => l.code === 'ERR_PROXY_MISSING' && l.peer === BALANCER);
    expect((await sessionRows(scope)).length).toBe(before);
    expect(await dovecot.log()).not.toMatch(/haproxy.*(invalid|broken)/i);
  });
});
