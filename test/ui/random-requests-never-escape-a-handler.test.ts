import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Hub } from '../../proxy/hub/hub.ts';
import { startHubServices } from '../../proxy/inspection/services.ts';
import { startUiServer } from '../../proxy/ui/http.ts';
import { createLogger } from '../../proxy/log.ts';
import type { ApiContext } from '../../proxy/ui/api.ts';
import { LOGIN_SCRIPT, play } from '../hub/helpers.ts';

const TOKEN = 'prop-token-123456';
let dir: string;
let hub: Hub;
let ctx: ApiContext;
let server: Awaited<ReturnType<typeof startUiServer>>;
const failures: unknown[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'imapscope-ui-prop-'));
  hub = new Hub();
  ctx = await startHubServices(hub, createLogger('silent'), {
    dataDir: dir,
    retainDays: 0,
    maxArchiveMb: 16,
  });
  play(hub, 's-1', LOGIN_SCRIPT);
  const log = { error: (obj: unknown) => void failures.push(obj) };
  server = await startUiServer({ host: '127.0.0.1', port: 0 }, { token: TOKEN, log }, ctx);
});

afterAll(async () => {
  server?.server.closeAllConnections();
  await new Promise((r) => server?.server.close(r));
  await ctx?.ws?.close();
  await hub?.close();
  await rm(dir, { recursive: true, force: true });
});

/** Writes the request as given and resolves with the status of the answer (null: none). */
function exchange(text: string): Promise<number | null> {
  return new Promise((resolve) => {
    const socket = connect(server.address.port, '127.0.0.1');
    let got = '';
    const done = (): void => {
      socket.destroy();
      const m = /^HTTP\/1\.1 (\d{3})/.exec(got);
      resolve(m ? Number(m[1]) : null);
    };
    socket.on('connect', () => socket.write(text));
    socket.on('data', (c: Buffer) => {
      got += c.toString('latin1');
      // A completed upgrade stays open: its head is the whole answer.
      if (got.startsWith('HTTP/1.1 101') && got.includes('\r\n\r\n')) done();
    });
    socket.on('error', () => undefined);
    socket.on('close', done);
  });
}

const piece = fc.constantFrom(
  '/',
  '//',
  '\\',
  '%',
  '%ZZ',
  '%E0%A4',
  '%2F',
  'api',
  'sessions',
  'events',
  'status',
  'ws',
  's-1',
  '1',
  '0',
  '-1',
  '1e400',
  'literals',
  'export',
  '?',
  '&',
  '=',
  'token=',
  TOKEN,
  ':1',
  '..',
  'after=',
  'until=',
  'limit=',
  'afterSeq=',
  'session=',
  'format=',
  'pcapng',
  'x',
  '@',
);
const target = fc.oneof(
  fc.array(piece, { maxLength: 10 }).map((p) => '/' + p.join('')),
  fc.array(piece, { maxLength: 6 }).map((p) => p.join('')),
  fc.stringMatching(/^[\x21-\x7e]{0,40}$/),
);
const headerValue = fc.oneof(
  fc.array(piece, { maxLength: 4 }).map((p) => p.join('')),
  fc.stringMatching(/^[\x20-\x7e]{0,30}$/),
);
const request = fc.record({
  method: fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS'),
  target,
  headers: fc.array(
    fc.tuple(
      fc.constantFrom(
        'Cookie',
        'Authorization',
        'X-Imapscope-Token',
        'Origin',
        'Host',
        'Content-Length',
      ),
      fc.oneof(
        headerValue,
        headerValue.map((v) => `@COOKIE@=${v}`),
        headerValue.map((v) => `Bearer ${v}`),
        fc.constant(TOKEN),
      ),
    ),
    { maxLength: 4 },
  ),
  upgrade: fc.boolean(),
});

describe('the UI server sent random requests', () => {
  it('answers every one, and no exception reaches the handlers’ last resort', async () => {
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const port = server.address.port;
        const lines = [`${r.method} ${r.target} HTTP/1.1`];
        // First: a random Host header wins over the good one below (Node keeps the first).
        for (const [name, value] of r.headers) {
          lines.push(`${name}: ${value.replace('@COOKIE@', `imapscope_token_${port}`)}`);
        }
        lines.push(`Host: 127.0.0.1:${port}`);
        if (r.upgrade) {
          lines.push('Upgrade: websocket', 'Connection: Upgrade', 'Sec-WebSocket-Version: 13');
          lines.push('Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==');
        } else lines.push('Connection: close');
        const status = await exchange(lines.join('\r\n') + '\r\n\r\n');
        expect(status).not.toBeNull();
        expect(status).toBeLessThan(500);
        expect(failures).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });
});
