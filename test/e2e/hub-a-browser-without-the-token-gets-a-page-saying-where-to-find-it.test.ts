import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startImapscope, type Imapscope } from '../helpers/imapscope.ts';

let scope: Imapscope;
let base: string;

beforeAll(async () => {
  scope = await startImapscope([]);
  base = `http://${scope.ui.host}:${scope.ui.port}`;
});

afterAll(async () => {
  await scope?.stop();
});

// What Chromium sends when the bare URL is typed into the address bar.
const BROWSER = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

describe('the viewer URL without its token', () => {
  it('shows a browser a page (401) saying the ready line and <data>/token hold the URL', async () => {
    const res = await fetch(`${base}/`, { headers: { accept: BROWSER } });
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const page = await res.text();
    expect(page).toContain('<code>ready</code> log line');
    expect(page).toContain('~/.imapscope/token');
    expect(page).not.toContain(new URL(scope.url).searchParams.get('token'));
  });

  it('still answers API clients, and a browser asking the API, with the JSON 401', async () => {
    for (const [path, accept] of [
      ['/', '*/*'],
      ['/', 'application/json'],
      ['/api/sessions', BROWSER],
    ] as const) {
      const res = await fetch(base + path, { headers: { accept } });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({
        error: { code: 'ERR_API_UNAUTHORIZED', message: 'a valid token is required (?token=…)' },
      });
    }
  });
});
