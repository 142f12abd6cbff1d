import { afterAll, describe, expect, it } from 'vitest';
import { useDovecot } from '../helpers/dovecot.ts';
import { startImapscope, type Imapscope } from '../helpers/imapscope.ts';
import { rawClient } from '../helpers/raw-client.ts';

const dovecot = useDovecot();
const scopes: Imapscope[] = [];
afterAll(async () => {
  for (const s of scopes) await s.stop();
});

async function scopeWith(...args: string[]): Promise<Imapscope> {
  const d = dovecot();
  const scope = await startImapscope(['--upstream', `${d.host}:${d.port}`, ...args]);
  scopes.push(scope);
  return scope;
}

describe('limits like a proxy', () => {
  it('--max-connections 2: the third client gets a BYE and is closed, never relayed; one warning', async () => {
    // `session open` is a debug line (info has one summary line per session).
    const scope = await scopeWith('--max-connections', '2', '--log-level', 'debug');
    const { host, port } = scope.listen;
    const relayed = [rawClient(host, port), rawClient(host, port)];
    for (const c of relayed) await c.waitFor(/^\* OK .*Dovecot/m);

    const refused = [rawClient(host, port), rawClient(host, port)];
    await Promise.all(refused.map((c) => c.closed));
    for (const c of refused) expect(c.text).toBe('* BYE [UNAVAILABLE] too many connections\r\n');
    await scope.waitForLog((l) => /^too many connections/.test(String(l.msg)));
    const warnings = scope.logs.filter((l) => /^too many connections/.test(String(l.msg)));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ level: 40, maxConnections: 2 });
    // Only the two relayed clients ever had a session.
    expect(scope.logs.filter((l) => l.msg === 'session open')).toHaveLength(2);

    // A place freed is a place for the next client.
    relayed[0]!.socket.end();
    await relayed[0]!.closed;
    await scope.waitForLog((l) => l.msg === 'session close');
    const next = rawClient(host, port);
    await next.waitFor(/^\* OK .*Dovecot/m);
    next.socket.end();
    relayed[1]!.socket.end();
  });

  it('--idle-timeout 1: a logged-in session with no traffic either way is closed, reason idle-timeout', async () => {
    const scope = await scopeWith('--idle-timeout', '1');
    const d = dovecot();
    const c = rawClient(scope.listen.host, scope.listen.port);
    await c.waitFor(/^\* OK/m);
    c.write(`a1 LOGIN ${d.user} ${d.password}\r\n`);
    await c.waitFor(/^a1 OK/m);
    await c.closed;
    // The summary line comes from the session.close event: the reason reached inspection too.
    const close = await scope.waitForLog((l) => l.msg === 'session close');
    expect(close).toMatchObject({ reason: 'idle-timeout', user: d.user, exchanges: 1 });
  });
});
