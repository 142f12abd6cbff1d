import type { ImapFlow, ImapFlowOptions } from 'imapflow';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import type { LogLine } from '../helpers/imapscope.ts';
import { imapflowFor, PLAIN, useScopeOverDovecot } from '../helpers/scope-over-dovecot.ts';

const stack = useScopeOverDovecot({ args: ['--log-level', 'debug'] });

function client(extra: Partial<ImapFlowOptions> = {}): ImapFlow {
  const { scope, dovecot } = stack();
  return imapflowFor(scope, dovecot, { ...PLAIN, ...extra });
}

const message = (subject: string): Buffer =>
  Buffer.from(`From: a@example.test\r\nSubject: ${subject}\r\n\r\n${subject}\r\n`);

/** Session ids in the order their sessions opened, from `from` on in the log. */
function opened(from: number): string[] {
  const { scope } = stack();
  return scope.logs
    .slice(from)
    .filter((l) => l.msg === 'session open')
    .map((l) => String(l.session));
}

async function closed(session: string): Promise<LogLine[]> {
  const { scope } = stack();
  await scope.waitForLog((l) => l.msg === 'session close' && l.session === session, 15_000);
  await new Promise((r) => setTimeout(r, 300));
  return scope.logs.filter((l) => l.session === session);
}

function expectCleanPairing(lines: LogLine[]): void {
  expect(lines.filter((l) => l.msg === 'malformed')).toEqual([]);
  const codes = lines.filter((l) => String(l.msg).startsWith('lint: ')).map((l) => l.code);
  expect(codes).not.toContain('LINT_UNKNOWN_TAG');
  expect(codes).not.toContain('LINT_TAG_REUSED');
  expect(codes).not.toContain('LINT_COMMAND_INVALID_STATE');
  const exchanges = lines.filter((l) => l.msg === 'exchange');
  expect(exchanges.length).toBeGreaterThan(2);
  for (const e of exchanges) expect(e.status).not.toBe('aborted');
  expect(new Set(exchanges.map((e) => e.tag)).size).toBe(exchanges.length);
}

describe('pairing through imapscope against Dovecot', () => {
  it('pairs an IDLE woken by an APPEND from a second client, with the EXISTS unsolicited and attached', async () => {
    const { scope } = stack();
    const mark = scope.logs.length;
    const a = client();
    await a.connect();
    await a.mailboxOpen('INBOX');
    const woken = new Promise<number>((resolve) =>
      a.on('exists', (d: { count: number }) => resolve(d.count)),
    );
    const idling = a.idle();
    const b = client();
    await b.connect();
    await b.append('INBOX', message('wakes the idler'));
    await b.logout();
    expect(await woken).toBeGreaterThan(0);
    await a.logout();
    await idling.catch(() => undefined);

    const [sa, sb] = opened(mark);
    const la = await closed(String(sa));
    const lb = await closed(String(sb));
    expectCleanPairing(la);
    expectCleanPairing(lb);

    const idle = la.find((l) => l.msg === 'exchange' && l.command === 'IDLE');
    expect(idle).toMatchObject({ status: 'OK' });
    expect(Number(idle?.untagged)).toBeGreaterThanOrEqual(1);
    expect(la.some((l) => l.msg === 'message' && l.kind === 'idle-done')).toBe(true);
    const exists = la.find(
      (l) => l.msg === 'message' && /^\* \d+ EXISTS$/.test(String(l.raw)) && l.unsolicited,
    );
    expect(exists).toBeDefined();
    const path = la.filter((l) => l.msg === 'state change').map((l) => l.to);
    expect(path).toEqual(['authenticated', 'selected', 'logout']);
    const append = lb.find((l) => l.msg === 'exchange' && l.command === 'APPEND');
    expect(append).toMatchObject({ status: 'OK' });
  });

  it('pairs commands pipelined in one write by tag, each with its own latency', async () => {
    const { scope, dovecot } = stack();
    const mark = scope.logs.length;
    const c = client();
    await c.connect();
    await c.append('INBOX', message('one'));
    await c.append('INBOX', message('two'));
    await c.logout();
    const raw = await new Promise<string>((resolve, reject) => {
      const s = net.connect(scope.listen);
      let text = '';
      s.on('data', (d: Buffer) => {
        text += d.toString('latin1');
        if (text.split('\r\n').length === 2) {
          s.write(
            `p0 LOGIN ${dovecot.user} ${dovecot.password}\r\np1 SELECT INBOX\r\n` +
              'p2 FETCH 1:* (FLAGS UID)\r\np3 NOOP\r\np4 LOGOUT\r\n',
          );
        }
      });
      s.on('error', reject);
      s.on('close', () => resolve(text));
    });
    expect(raw).toMatch(/p4 OK/);
    const sessions = opened(mark);
    const lines = await closed(String(sessions[1]));
    expectCleanPairing(lines);
    const exchanges = lines.filter((l) => l.msg === 'exchange');
    expect(exchanges.map((e) => [e.tag, e.command, e.status])).toEqual([
      ['p0', 'LOGIN', 'OK'],
      ['p1', 'SELECT', 'OK'],
      ['p2', 'FETCH', 'OK'],
      ['p3', 'NOOP', 'OK'],
      ['p4', 'LOGOUT', 'OK'],
    ]);
    expect(Number(exchanges[2]?.untagged)).toBeGreaterThanOrEqual(2);
    for (const e of exchanges) expect(e.latencyMs).toBeGreaterThanOrEqual(0);
  });
});
