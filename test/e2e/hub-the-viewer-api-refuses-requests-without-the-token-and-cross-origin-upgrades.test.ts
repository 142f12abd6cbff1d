import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startImapscope, type Imapscope } from '../helpers/imapscope.ts';
import { connectViewer } from '../helpers/viewer-client.ts';

let scope: Imapscope;
let token: string;
let base: string;

beforeAll(async () => {
  scope = await startImapscope(['--token', 'tok-en-123456']);
  token = new URL(scope.url).searchParams.get('token')!;
  base = `http://${scope.ui.host}:${scope.ui.port}`;
});

afterAll(async () => {
  await scope?.stop();
});

describe('the viewer API', () => {
  it('answers 401 to every request without the token, and serves it with one', async () => {
    for (const path of ['/', '/api/sessions', '/api/status', '/api/events', '/anything']) {
      expect((await fetch(base + path)).status).toBe(401);
      expect((await fetch(`${base}${path}?token=wrong-token-1`)).status).toBe(401);
    }
    expect((await fetch(`${base}/api/sessions?token=${token}`)).status).toBe(200);
    const bearer = await fetch(`${base}/api/status`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(bearer.status).toBe(200);
    // The status tells the viewer where mail clients connect (its empty state shows it).
    expect(await bearer.json()).toMatchObject({
      lastGseq: expect.any(Number),
      listen: `${scope.listen.host}:${scope.listen.port}`,
    });
  });

  it('refuses a WebSocket upgrade without the token', async () => {
    await expect(connectViewer(base)).rejects.toMatchObject({ status: 401 });
    await expect(connectViewer(`${base}/?token=nope-nope-nope`)).rejects.toMatchObject({
      status: 401,
    });
  });

  it('refuses a WebSocket upgrade from another origin even with the token', async () => {
    await expect(
      connectViewer(scope.url, {}, { origin: 'http://evil.example' }),
    ).rejects.toMatchObject({ status: 403 });
    const same = await connectViewer(scope.url, {}, { origin: base });
    await same.until((v) => v.messages.length >= 1);
    expect(same.messages[0]!.type).toBe('snapshot');
    await same.close();
  });

  it('listens on loopback by default', () => {
    expect(scope.ui.host).toBe('127.0.0.1');
  });
});
