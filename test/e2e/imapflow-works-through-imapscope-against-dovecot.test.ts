import type { ImapFlow, ImapFlowOptions } from 'imapflow';
import { describe, expect, it } from 'vitest';
import type { LogLine } from '../helpers/imapscope.ts';
import { imapflowFor, PLAIN, useScopeOverDovecot } from '../helpers/scope-over-dovecot.ts';

// Debug level: one line per decoded message, so Malformed ones would show.
const stack = useScopeOverDovecot({ args: ['--log-level', 'debug'] });

function client(extra: Partial<ImapFlowOptions> = {}): ImapFlow {
  const { scope, dovecot } = stack();
  return imapflowFor(scope, dovecot, extra);
}

function message(subject: string, body: string): Buffer {
  return Buffer.from(
    `From: a@example.test\r\nTo: test@example.test\r\nSubject: ${subject}\r\n` +
      `Date: Wed, 26 Nov 2025 12:00:00 +0000\r\nMessage-ID: <${subject.replace(/\W/g, '')}@example.test>\r\n` +
      `Content-Type: text/plain; charset=utf-8\r\n\r\n${body}\r\n`,
  );
}

const closeLines = (): LogLine[] => stack().scope.logs.filter((l) => l.msg === 'session close');

describe('imapflow through imapscope against Dovecot', () => {
  it('logs in, lists, selects, appends, fetches bodies, idles until another client appends, and logs out', async () => {
    const { scope } = stack();
    const closedBefore = closeLines().length;
    // Plain text on the wire (no STARTTLS, no COMPRESS) so the whole conversation is inspectable.
    const a = client(PLAIN);
    await a.connect();
    expect(a.authenticated).toBeTruthy();

    const list = await a.list();
    expect(list.map((m) => m.path).sort()).toEqual(['Drafts', 'INBOX', 'Sent', 'Trash']);
    await a.mailboxCreate('Projects/Übersicht');
    expect((await a.list()).map((m) => m.path)).toContain('Projects/Übersicht');

    const first = message('first', 'Hello through imapscope.');
    const second = message('zweite Nachricht', 'Grüße, mit UTF-8 im Text.');
    const appended1 = await a.append('INBOX', first, ['\\Seen']);
    const appended2 = await a.append('INBOX', second);
    expect(appended1 && appended1.uid).toBe(1);
    expect(appended2 && appended2.uid).toBe(2);

    const mailbox = await a.mailboxOpen('INBOX');
    expect(mailbox.exists).toBe(2);

    const fetched = [];
    for await (const msg of a.fetch('1:*', {
      uid: true,
      flags: true,
      envelope: true,
      source: true,
      bodyParts: ['TEXT'],
    })) {
      fetched.push(msg);
    }
    expect(fetched.map((m) => m.uid)).toEqual([1, 2]);
    expect(fetched[0]?.source?.equals(first)).toBe(true);
    expect(fetched[1]?.source?.equals(second)).toBe(true);
    expect(fetched[0]?.envelope?.subject).toBe('first');
    expect(fetched[1]?.envelope?.subject).toBe('zweite Nachricht');
    expect([...(fetched[0]?.flags ?? [])]).toContain('\\Seen');
    expect(fetched[1]?.bodyParts?.get('text')?.toString()).toBe('Grüße, mit UTF-8 im Text.\r\n');

    // IDLE on one connection, woken by an APPEND on another, both through imapscope.
    const woken = new Promise<number>((resolve) => {
      a.on('exists', (data: { count: number }) => resolve(data.count));
    });
    const idling = a.idle();
    const b = client(PLAIN);
    await b.connect();
    await b.append('INBOX', message('third', 'Wakes the idler.'));
    await b.logout();
    expect(await woken).toBe(3);

    await a.logout();
    await idling.catch(() => undefined);

    const closes = await scope.waitForLog(() => closeLines().length >= closedBefore + 2);
    expect(closes).toBeDefined();
    for (const line of closeLines().slice(closedBefore)) {
      expect(line.bytesC2s).toBeGreaterThan(0);
      expect(line.bytesS2c).toBeGreaterThan(0);
      expect(typeof line.session).not.toBe('undefined');
      expect(typeof line.durationMs).toBe('number');
    }

    // Both sessions decoded with zero Malformed, every command paired, and the states followed.
    await new Promise((r) => setTimeout(r, 300));
    const [sa, sb] = closeLines()
      .slice(closedBefore)
      .map((l) => l.session);
    for (const session of [sa, sb]) {
      const lines = scope.logs.filter((l) => l.session === session);
      expect(lines.filter((l) => l.msg === 'malformed')).toEqual([]);
      const exchanges = lines.filter((l) => l.msg === 'exchange');
      for (const e of exchanges) expect(e.status).not.toBe('aborted');
      expect(new Set(exchanges.map((e) => e.tag)).size).toBe(exchanges.length);
    }
    const all = scope.logs.filter((l) => l.session === sa || l.session === sb);
    const commands = all.filter((l) => l.msg === 'exchange').map((l) => l.command);
    expect(commands, commands.join(' ')).toEqual(
      expect.arrayContaining([
        'AUTHENTICATE',
        'LIST',
        'CREATE',
        'APPEND',
        'SELECT',
        'FETCH',
        'IDLE',
        'LOGOUT',
      ]),
    );
    const idle = all.find((l) => l.msg === 'exchange' && l.command === 'IDLE');
    expect(idle?.status).toBe('OK');
    const paths = [sa, sb].map((session) =>
      scope.logs.filter((l) => l.session === session && l.msg === 'state change').map((l) => l.to),
    );
    expect(paths).toContainEqual(['authenticated', 'selected', 'logout']);
    expect(paths).toContainEqual(['authenticated', 'logout']);
  });

  it('works with STARTTLS and COMPRESS=DEFLATE negotiated end to end through imapscope', async () => {
    const { scope, dovecot } = stack();
    const closedBefore = closeLines().length;
    const c = client({ tls: { ca: [dovecot.certPem], servername: 'localhost' } });
    await c.connect();
    expect(c.secureConnection).toBe(true);
    expect(c.capabilities.has('COMPRESS=DEFLATE')).toBe(true);
    const body = message('over tls', 'Encrypted and compressed, relayed byte for byte.');
    const res = await c.append('INBOX', body);
    const lock = await c.getMailboxLock('INBOX');
    try {
      const msg = await c.fetchOne(String(res && res.uid), { source: true }, { uid: true });
      expect(msg && msg.source?.equals(body)).toBe(true);
    } finally {
      lock.release();
    }
    await c.logout();
    const close = await scope.waitForLog(() => closeLines().length > closedBefore);
    await new Promise((r) => setTimeout(r, 300));
    // Before STARTTLS the session decodes; after it nothing garbled is decoded.
    const lines = scope.logs.filter((l) => l.session === close.session);
    expect(lines.filter((l) => l.msg === 'malformed')).toEqual([]);
    expect(
      lines.some((l) => l.msg === 'exchange' && l.command === 'STARTTLS' && l.status === 'OK'),
    ).toBe(true);
  });
});
