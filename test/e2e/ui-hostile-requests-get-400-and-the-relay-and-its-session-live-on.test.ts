import { describe, expect, it } from 'vitest';
import { imapflowFor, PLAIN, useScopeOverDovecot } from '../helpers/scope-over-dovecot.ts';
import { rawRequest } from '../helpers/raw-http.ts';

const TOKEN = 'hostile-token-1234';
const get = useScopeOverDovecot({ args: ['--token', TOKEN] });

const UPGRADE =
  'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n' +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==';

describe('the UI server, sent hostile requests while a mail session is open through it', () => {
  it('answers each with 400, and neither the process nor the session notices', async () => {
    const { scope, dovecot } = get();
    const client = imapflowFor(scope, dovecot, PLAIN);
    await client.connect();
    await client.mailboxOpen('INBOX');
    const host = `Host: ${scope.ui.host}:${scope.ui.port}`;
    const cookie = `imapscope_token_${scope.ui.port}`;
    const hostile = [
      `GET // HTTP/1.1\r\n${host}`,
      `GET /\\ HTTP/1.1\r\n${host}`,
      `GET //:1/ HTTP/1.1\r\n${host}`,
      `GET //:1/?token=${TOKEN} HTTP/1.1\r\n${host}`,
      `GET * HTTP/1.1\r\n${host}`,
      `GET / HTTP/1.1\r\n${host}\r\nCookie: ${cookie}=%ZZ`,
      `GET /api/sessions/%ZZ?token=${TOKEN} HTTP/1.1\r\n${host}`,
      `GET /api/%E0%A4%A?token=${TOKEN} HTTP/1.1\r\n${host}`,
      `GET // HTTP/1.1\r\n${host}\r\n${UPGRADE}`,
      `GET //:1/ HTTP/1.1\r\n${host}\r\n${UPGRADE}`,
      `GET /ws HTTP/1.1\r\n${host}\r\nCookie: ${cookie}=%ZZ\r\n${UPGRADE}`,
    ];
    for (const head of hostile) {
      const res = await rawRequest(scope.ui, head);
      expect({ head, status: res.status }).toEqual({ head, status: 400 });
    }
    expect(scope.process.exitCode).toBeNull();
    expect(scope.process.signalCode).toBeNull();
    // The mail session opened before the requests still works, and the UI still answers.
    const status = await client.status('INBOX', { messages: true });
    expect(status).toMatchObject({ path: 'INBOX', messages: expect.any(Number) });
    const ok = await rawRequest(scope.ui, `GET /api/status?token=${TOKEN} HTTP/1.1\r\n${host}`);
    expect(ok.status).toBe(200);
    await client.logout();
  });
});
