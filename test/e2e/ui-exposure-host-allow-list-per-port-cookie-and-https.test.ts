import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startImapscope, type Imapscope } from '../helpers/imapscope.ts';
import { rawRequest } from '../helpers/raw-http.ts';
import { useTempDir } from '../helpers/temp-dir.ts';

const run = promisify(execFile);
const TOKEN = 'exposure-token-1234';
const dir = useTempDir('imapscope-ui-exposure-');
const started: Imapscope[] = [];
afterAll(async () => {
  for (const s of started) await s.stop();
});

async function start(args: string[]): Promise<Imapscope> {
  const s = await startImapscope(['--token', TOKEN, ...args]);
  started.push(s);
  return s;
}

const UPGRADE =
  'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n' +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==';

describe('the UI on every interface with --ui-insecure and --ui-host', () => {
  it('warns in the log and the ready line', async () => {
    const scope = await start(['--ui', '0.0.0.0:0', '--ui-insecure', '--ui-host', 'scope.test']);
    expect(scope.readyLine.warning).toMatch(/^--ui-insecure: .*plain HTTP on 0\.0\.0\.0/);
    expect(scope.url).toMatch(/^http:\/\//);
    expect(scope.logs.some((l) => l.msg === scope.readyLine.warning && l.level === 40)).toBe(true);
  });

  it('answers only to the loopback names, its own host and --ui-host, with its port', async () => {
    const scope = started[0]!;
    const at = { host: '127.0.0.1', port: scope.ui.port };
    const status = (host: string | null, extra = ''): Promise<number | null> =>
      rawRequest(
        at,
        `GET /api/status?token=${TOKEN} HTTP/1.1` +
          (host === null ? '' : `\r\nHost: ${host}`) +
          extra,
      ).then((r) => r.status);
    const p = scope.ui.port;
    for (const host of [`127.0.0.1:${p}`, `localhost:${p}`, `LocalHost:${p}`, `0.0.0.0:${p}`]) {
      expect({ host, status: await status(host) }).toEqual({ host, status: 200 });
    }
    expect(await status(`scope.test:${p}`)).toBe(200);
    for (const host of [`evil.example:${p}`, `scope.test:${p + 1}`, 'scope.test', `[::2]:${p}`]) {
      expect({ host, status: await status(host) }).toEqual({ host, status: 421 });
    }
    // A rebound name gets one line saying why, and so does a WebSocket upgrade.
    const refused = await rawRequest(
      at,
      `GET /?token=${TOKEN} HTTP/1.1\r\nHost: evil.example:${p}`,
    );
    expect(refused.status).toBe(421);
    expect(refused.text).toContain('{"error":{"code":"ERR_API_MISDIRECTED","message":"this server');
    const ws = await rawRequest(
      at,
      `GET /ws?token=${TOKEN} HTTP/1.1\r\nHost: evil.example:${p}\r\n${UPGRADE}`,
    );
    expect(ws.status).toBe(421);
    expect(ws.text).toMatch(/\r\n\r\nERR_API_MISDIRECTED: [^\n]*\n$/);
  });

  it('sets a cookie named for its port, HttpOnly, SameSite=Strict, for / only there', async () => {
    const scope = started[0]!;
    const p = scope.ui.port;
    const at = { host: '127.0.0.1', port: p };
    const host = `Host: 127.0.0.1:${p}`;
    const page = await rawRequest(at, `GET /?token=${TOKEN} HTTP/1.1\r\n${host}`);
    expect(page.status).toBe(200);
    expect(page.text).toMatch(
      new RegExp(
        `\r\nset-cookie: imapscope_token_${p}=${TOKEN}; HttpOnly; SameSite=Strict; Path=/\r\n`,
        'i',
      ),
    );
    const withCookie = (name: string) =>
      rawRequest(at, `GET /api/status HTTP/1.1\r\n${host}\r\nCookie: a=b; ${name}=${TOKEN}`);
    expect((await withCookie(`imapscope_token_${p}`)).status).toBe(200);
    // Another port's cookie, or the old shared name, opens nothing here.
    expect((await withCookie(`imapscope_token_${p + 1}`)).status).toBe(401);
    expect((await withCookie('imapscope_token')).status).toBe(401);
  });
});

describe('the UI with --ui-cert and --ui-key', () => {
  it('serves the API over HTTPS (curl) and the WebSocket over WSS (ws), and no plain HTTP', async () => {
    const cert = path.join(dir(), 'cert.pem');
    const key = path.join(dir(), 'key.pem');
    await run('openssl', [
      ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'],
      ...['-days', '2', '-subj', '/CN=localhost'],
      ...['-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', key, '-out', cert],
    ]);
    const scope = await start(['--ui-cert', cert, '--ui-key', key]);
    expect(scope.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/\?token=/);
    expect(scope.readyLine.warning).toBeUndefined();
    const base = `https://127.0.0.1:${scope.ui.port}`;
    const { stdout } = await run('curl', [
      ...['-sS', '--cacert', cert, '-D', '-', `${base}/?token=${TOKEN}`, '-o', '/dev/null'],
    ]);
    expect(stdout).toMatch(/^HTTP\/1\.1 200/);
    expect(stdout).toMatch(/set-cookie: imapscope_token_\d+=[^\r]*; Path=\/; Secure\r\n/i);
    const api = await run('curl', ['-sS', '--cacert', cert, `${base}/api/status?token=${TOKEN}`]);
    expect(JSON.parse(api.stdout)).toMatchObject({ lastGseq: expect.any(Number) });

    const ws = new WebSocket(`wss://127.0.0.1:${scope.ui.port}/ws?token=${TOKEN}`, {
      ca: await readFile(cert),
    });
    const first = await new Promise<string>((resolve, reject) => {
      ws.once('message', (d: Buffer) => resolve(d.toString()));
      ws.once('error', reject);
    });
    expect(JSON.parse(first)).toMatchObject({ type: 'snapshot' });
    ws.terminate();

    const plain = await rawRequest(
      { host: '127.0.0.1', port: scope.ui.port },
      `GET /api/status?token=${TOKEN} HTTP/1.1\r\nHost: 127.0.0.1:${scope.ui.port}`,
    );
    expect(plain.status).not.toBe(200);
  });
});
