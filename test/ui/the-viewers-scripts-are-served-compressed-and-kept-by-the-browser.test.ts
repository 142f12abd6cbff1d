import type { IncomingHttpHeaders } from 'node:http';
import { get } from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ASSET_CACHE } from '../../proxy/ui/http.ts';
import { ensureViewerBuilt } from '../viewer/browser.ts';
import { startUi, TOKEN, type UiUnderTest } from './helpers.ts';

let ui: UiUnderTest;

// The UI server serves viewer/dist only if it exists when it starts.
beforeAll(() => ensureViewerBuilt(), 120_000);
beforeAll(async () => {
  ui = await startUi();
});
afterAll(async () => {
  await ui?.close();
});

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A GET as it is on the wire: node:http does not inflate bodies. */
function fetchRaw(path: string, acceptEncoding: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    get(
      {
        host: '127.0.0.1',
        port: ui.port,
        path,
        headers: { authorization: `Bearer ${TOKEN}`, 'accept-encoding': acceptEncoding },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on('error', reject);
      },
    ).on('error', reject);
  });
}

/** The page's main script, as index.html names it. */
async function mainScript(): Promise<string> {
  const page = await fetchRaw('/', 'identity');
  const m = /src="\.(\/assets\/index-[\w-]+\.js)"/.exec(page.body.toString());
  expect(m, page.body.toString()).not.toBeNull();
  return m![1]!;
}

describe('the viewer’s scripts', () => {
  it('go gzip-compressed to a browser that accepts gzip, the same bytes once inflated', async () => {
    const script = await mainScript();
    const plain = await fetchRaw(script, 'identity');
    expect(plain.status).toBe(200);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers['content-type']).toMatch(/javascript/);
    const gz = await fetchRaw(script, 'gzip, deflate');
    expect(gz.status).toBe(200);
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gz.headers['content-type']).toMatch(/javascript/);
    expect(gz.headers.vary).toMatch(/accept-encoding/i);
    expect(gunzipSync(gz.body).equals(plain.body)).toBe(true);
    expect(gz.body.length).toBeLessThan(plain.body.length / 2);
  });

  it('go brotli-compressed where brotli is accepted (Chromium over HTTPS)', async () => {
    const script = await mainScript();
    const plain = await fetchRaw(script, 'identity');
    const br = await fetchRaw(script, 'gzip, deflate, br');
    expect(br.headers['content-encoding']).toBe('br');
    expect(brotliDecompressSync(br.body).equals(plain.body)).toBe(true);
  });

  it('are kept by the browser (their names carry their hash), while the page is read afresh', async () => {
    const script = await mainScript();
    expect((await fetchRaw(script, 'gzip')).headers['cache-control']).toBe(ASSET_CACHE);
    expect(ASSET_CACHE).toMatch(/\bprivate\b.*\bimmutable\b/);
    expect((await fetchRaw('/', 'gzip')).headers['cache-control']).toBe('no-store');
    expect((await fetchRaw('/api/status', 'gzip')).headers['cache-control']).toBe('no-store');
  });
});
