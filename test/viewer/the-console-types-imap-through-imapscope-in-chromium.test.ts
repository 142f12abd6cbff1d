/**
 * The console end to end: Debian's Chromium types IMAP into the viewer, the /console bridge
 * carries it through imapscope's own listener to the practice server, and the session it makes
 * is a real one (log, list, archive) drawn beside the console as it happens.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startImapscope, type Imapscope, type LogLine } from '../helpers/imapscope.ts';
import { seedDialog } from '../helpers/seed-dialog.ts';
import { ensureViewerBuilt, launchChromium } from './browser.ts';

const WAIT = { timeout: 20_000 };

let scope: Imapscope;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  ensureViewerBuilt();
  // Exchange lines are logged at debug (the info level has one summary per session).
  scope = await startImapscope(['--log-level', 'debug']);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1440, height: 860 } });
  page.on('pageerror', (e) => pageErrors.push(e.message));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await scope?.stop();
});

const transcript = () => page.getByTestId('console-transcript');

/** Types a line and waits until the server's tagged answer to it is in the transcript. */
async function type(line: string, tag: string): Promise<void> {
  await page.getByTestId('console-input').fill(line);
  await page.getByTestId('console-input').press('Enter');
  await transcript()
    .locator('.cline.s2c', { hasText: new RegExp(`^S:${tag} (OK|NO|BAD)`) })
    .waitFor(WAIT);
}

describe('the console in Chromium against imapscope and its practice server', () => {
  it('typing the seed dialog yields the exchanges, lints and state path of the tracker tests', async () => {
    await page.goto(scope.url);
    await page.getByTestId('open-console').click();
    await expect.poll(() => page.getByTestId('console-input').isEnabled(), WAIT).toBe(true);
    await transcript()
      .getByText(/^\* OK/)
      .waitFor(WAIT);
    // The dialog carries its own tags: numbering off.
    await page.getByTestId('console-autotag').uncheck();
    for (const line of seedDialog('learner', 'practice')) await type(line, line.split(' ')[0]!);

    const close = await scope.waitForLog((l) => l.msg === 'session close');
    const mine = (l: LogLine): boolean => l.session === close.session;
    await scope.waitForLog((l) => mine(l) && l.msg === 'exchange' && l.tag === 'A0006');
    const exchanges = scope.logs.filter((l) => mine(l) && l.msg === 'exchange');
    expect(exchanges.map((l) => [l.tag, l.command, l.status])).toEqual([
      ['A0001', 'LOGIN', 'OK'],
      ['A0002', 'CREATE', 'OK'],
      ['A0003', 'SELECT', 'OK'],
      ['A0004', 'FETCH', 'BAD'],
      ['A0005', 'QUIT', 'BAD'],
      ['A0006', 'LOGOUT', 'OK'],
    ]);
    const lints = scope.logs.filter((l) => mine(l) && String(l.msg).startsWith('lint: '));
    const fetch = lints.find(
      (l) => /FETCH/.test(String(l.msg)) && l.code === 'LINT_COMPLETION_BAD',
    );
    expect(fetch?.rfc).toMatch(/RFC 3501 §6\.4\.5 \/ RFC 9051 §6\.4\.5/);
    expect(lints.some((l) => /QUIT is not an IMAP command/.test(String(l.msg)))).toBe(true);

    // Drawn beside the console: the same exchanges, lints and state path.
    const path = page.getByTestId('state-path');
    await path.locator('button[data-to="logout"]').waitFor(WAIT);
    expect(
      await path.locator('button').evaluateAll((b) => b.map((x) => x.getAttribute('data-to'))),
    ).toEqual(['authenticated', 'selected', 'logout']);
    await expect
      .poll(() =>
        page
          .locator('.row.group')
          .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-status'))),
      )
      .toEqual(['OK', 'OK', 'OK', 'BAD', 'BAD', 'OK']);
    const codes = await page.locator('.row.lint .lint-code').allTextContents();
    expect(codes).toContain('LINT_COMPLETION_BAD');
    expect(codes).toContain('LINT_UNKNOWN_COMMAND');
    // A session like any other: in the list.
    await page.goto(scope.url);
    await page.locator(`[data-session="${String(close.session)}"]`).waitFor(WAIT);
    expect(pageErrors).toEqual([]);
  });

  it('numbers tags, sends a one-click example, and holds a literal until the server’s +', async () => {
    await page.goto(`${scope.url}#/console`);
    await transcript()
      .getByText(/^\* OK/)
      .waitFor(WAIT);
    await page.getByRole('button', { name: 'LOGIN learner practice' }).click();
    await transcript()
      .locator('.cline.s2c', { hasText: /^S:A0001 OK/ })
      .waitFor(WAIT);
    await page.getByTestId('console-input').fill('CREATE {7}');
    await page.getByTestId('console-input').press('Enter');
    await transcript().locator('.cline.s2c', { hasText: /^S:\+/ }).waitFor(WAIT);
    await page.getByTestId('console-input').fill('lessons');
    await page.getByTestId('console-input').press('Enter');
    await transcript()
      .locator('.cline.s2c', { hasText: /^S:A0002 OK/ })
      .waitFor(WAIT);
    const sent = await transcript().locator('.cline.c2s').allTextContents();
    expect(sent).toEqual(['C:A0001 LOGIN learner practice', 'C:A0002 CREATE {7}', 'C:lessons']);
    // History: the arrow brings back the last line typed.
    await page.getByTestId('console-input').press('ArrowUp');
    expect(await page.getByTestId('console-input').inputValue()).toBe('lessons');
    await page.locator('.row.group', { hasText: 'CREATE' }).waitFor(WAIT);
    expect(await page.getByTestId('current-state').textContent()).toBe('Authenticated');
    expect(pageErrors).toEqual([]);
  });
});

describe('the console against a real upstream', () => {
  /** Status and the /console upgrade of an imapscope started with these flags. */
  async function probe(args: string[]): Promise<{ console: unknown; upgrade: number }> {
    const s = await startImapscope(args);
    try {
      const status = (await (await fetch(`${s.url.replace('/?', '/api/status?')}`)).json()) as {
        console: unknown;
      };
      const url = `ws://${s.ui.host}:${s.ui.port}/console?${new URL(s.url).searchParams}`;
      const upgrade = await new Promise<number>((resolve) => {
        const ws = new WebSocket(url);
        ws.on('open', () => {
          ws.close();
          resolve(101);
        });
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('error', () => undefined);
      });
      return { console: status.console, upgrade };
    } finally {
      await s.stop();
    }
  }

  it('is off unless the operator passes --console', async () => {
    // Nothing listens on the discard port: no client connects, so the upstream is never dialled.
    expect(await probe(['--upstream', '127.0.0.1:9'])).toEqual({ console: false, upgrade: 404 });
    expect(await probe(['--upstream', '127.0.0.1:9', '--console'])).toEqual({
      console: true,
      upgrade: 101,
    });
  });
});
