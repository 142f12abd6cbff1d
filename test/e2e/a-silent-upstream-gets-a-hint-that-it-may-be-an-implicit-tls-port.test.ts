import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventPage, SessionRow } from '../../shared/protocol.ts';
import { fromJson } from '../../shared/protocol.ts';
import { startDovecot, type Dovecot } from '../helpers/dovecot.ts';
import { startImapscope, type Imapscope } from '../helpers/imapscope.ts';

let dovecot: Dovecot;
let scope: Imapscope;

beforeAll(async () => {
  dovecot = await startDovecot();
  // Dovecot's implicit-TLS port, spoken to in plain text: it waits for a ClientHello, silent.
  scope = await startImapscope(['--upstream', `${dovecot.host}:${dovecot.tlsPort}`]);
});
afterAll(async () => {
  await scope?.stop();
  await dovecot?.stop();
});

async function get<T>(route: string): Promise<T> {
  const url = new URL(route, scope.url);
  url.searchParams.set('token', new URL(scope.url).searchParams.get('token')!);
  return fromJson<T>(await (await fetch(url)).text());
}

describe('an upstream that sends no greeting', () => {
  it('gets a log line and a lint suggesting --upstream-tls implicit, and the session stays open', async () => {
    const client = net.connect(scope.listen.port, scope.listen.host);
    await new Promise((r) => client.once('connect', r));
    try {
      const line = await scope.waitForLog((l) => l.code === 'NO_GREETING', 20_000);
      expect(String(line.msg)).toMatch(
        /^no greeting from .* within 5 s — is this an implicit-TLS port\? try --upstream-tls implicit$/,
      );
      expect(line.level).toBe(40);
      expect(client.destroyed).toBe(false);
      const [row] = await get<SessionRow[]>('/api/sessions?state=live');
      let lints: string[] = [];
      for (let i = 0; i < 50 && !lints.includes('LINT_NO_GREETING'); i++) {
        const { events } = await get<EventPage>(`/api/sessions/${row!.id}/events`);
        lints = events.flatMap((e) => (e.type === 'lint' ? [e.code] : []));
        if (!lints.includes('LINT_NO_GREETING')) await new Promise((r) => setTimeout(r, 100));
      }
      expect(lints).toEqual(['LINT_NO_GREETING']);
    } finally {
      client.destroy();
    }
  });
});
