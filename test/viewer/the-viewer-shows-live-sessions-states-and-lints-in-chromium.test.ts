/**
 * The viewer end to end: Debian's Chromium (playwright-core) on the viewer served by a real
 * imapscope in front of a real Dovecot. It writes nothing under docs/: the README's screenshots
 * come from `npm run screenshots` (test/viewer/screenshots.ts).
 */
import type { ImapFlow } from 'imapflow';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imapflowFor, useScopeOverDovecot } from '../helpers/scope-over-dovecot.ts';
import { play, seedDialog } from '../helpers/seed-dialog.ts';
import { ensureViewerBuilt, launchChromium } from './browser.ts';

const WAIT = { timeout: 20_000 };

let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

// The viewer is built before imapscope starts, which serves it.
beforeAll(() => ensureViewerBuilt(), 120_000);

const stack = useScopeOverDovecot();

beforeAll(async () => {
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1440, height: 860 }, colorScheme: 'light' });
  page.on('pageerror', (e) => pageErrors.push(e.message));
}, 120_000);

afterAll(async () => {
  await browser?.close();
});

function imapflow(): ImapFlow {
  const { scope, dovecot } = stack();
  // Plain on both legs (Dovecot's test certificate is self-signed).
  return imapflowFor(scope, dovecot, { doSTARTTLS: false });
}

describe('the viewer in Chromium against imapscope and Dovecot', () => {
  it('shows how to point a client at imapscope before any session', async () => {
    const { scope } = stack();
    await page.goto(scope.url);
    await page.getByTestId('empty-state').waitFor(WAIT);
    expect(await page.getByTestId('empty-state').textContent()).toMatch(/IMAP server/);
    await page.getByTestId('connection').and(page.locator('[data-status="open"]')).waitFor(WAIT);
  });

  it("shows an imapflow session's exchanges live, as they happen", async () => {
    const { dovecot } = stack();
    const client = imapflow();
    await client.connect();
    // The new session appears in the list without a reload.
    const row = page.locator('[data-session]').first();
    await row.waitFor(WAIT);
    await row.click();
    await page
      .locator('.row.group', { hasText: /LOGIN|AUTHENTICATE/ })
      .first()
      .waitFor(WAIT);
    // The password never reaches the page.
    expect(await page.content()).not.toContain(dovecot.password);

    // Exchanges made while the page is open show up live.
    await client.append('INBOX', message('Grüße from the viewer test'), ['\\Seen']);
    await client.mailboxOpen('INBOX');
    await page.locator('.row.group', { hasText: 'APPEND' }).waitFor(WAIT);
    await page.locator('.row.group', { hasText: 'SELECT' }).waitFor(WAIT);
    for await (const _m of client.fetch('1:*', { envelope: true, source: true })) {
      // drain
    }
    await page.locator('.row.group', { hasText: 'FETCH' }).first().waitFor(WAIT);
    expect(await page.getByTestId('current-state').textContent()).toBe('Selected');
    await client.logout();
    await page.getByTestId('current-state').getByText('Logout').waitFor(WAIT);
    expect(await page.locator('.row.group[data-status="OK"]').count()).toBeGreaterThanOrEqual(4);

    // The inspector shows the fetched message's literal with its MIME headers.
    const fetch = page.locator('.row.group', { hasText: /FETCH .*BODY/ }).first();
    await fetch.click();
    await page.keyboard.press('Enter');
    const answer = page.locator('.row.child', { hasText: /\* 1 FETCH/ }).first();
    await answer.click();
    const inspector = page.getByTestId('inspector');
    await inspector.getByTestId('literal').first().waitFor(WAIT);
    expect(await inspector.textContent()).toContain('Grüße from the viewer test');
    expect(await page.getByTestId('teach').textContent()).toMatch(/Response FETCH/);
  });

  it('replays the seed dialog: state path, FETCH and Quit lints in the teach panel', async () => {
    const { scope, dovecot } = stack();
    await page.goto(scope.url);
    await page.locator('[data-session]').first().waitFor(WAIT);
    const before = await page.locator('[data-session]').count();
    const received = await play(
      scope.listen.host,
      scope.listen.port,
      seedDialog(dovecot.user, dovecot.password),
      60,
    );
    expect(received.at(-1)).toMatch(/^A0006 OK/);
    await expect.poll(() => page.locator('[data-session]').count(), WAIT).toBe(before + 1);
    // Newest first: the seed session is on top, with its BAD and lint counts.
    const top = page.locator('[data-session]').first();
    await expect.poll(async () => (await top.textContent()) ?? '', WAIT).toMatch(/Logout/);

    await top.click();
    const path = page.getByTestId('state-path');
    await path.getByText('Logout').waitFor(WAIT);
    const steps = await path
      .locator('button')
      .evaluateAll((b) => b.map((x) => x.getAttribute('data-to')));
    expect(steps).toEqual(['authenticated', 'selected', 'logout']);
    expect(await page.locator('.diagram .node.current').getAttribute('data-state')).toBe('logout');

    // FETCH 1:3 without data items: BAD, and the teach panel says why, with the RFC.
    await page.locator('.row.group', { hasText: 'FETCH 1:3' }).click();
    const teach = page.getByTestId('teach');
    await teach.getByTestId('lint').first().waitFor(WAIT);
    const fetchText = (await teach.textContent()) ?? '';
    expect(fetchText).toMatch(/Retrieves data about messages/);
    expect(fetchText).toMatch(/RFC 3501 §6\.4\.5/);
    expect(
      await teach.locator('[data-code="LINT_COMPLETION_BAD"]').count(),
      fetchText,
    ).toBeGreaterThanOrEqual(1);

    // Quit: not an IMAP command; LOGOUT is (§6.1.3).
    await page.locator('.row.group', { hasText: 'Quit' }).click();
    await teach
      .getByText(/QUIT is not an IMAP command/)
      .first()
      .waitFor(WAIT);
    expect(await teach.textContent()).toMatch(/6\.1\.3/);

    // Clicking a step of the path jumps to the command that caused it.
    await path.locator('button[data-to="selected"]').click();
    await expect
      .poll(() => page.locator('.row.selected').textContent(), WAIT)
      .toMatch(/A0003 SELECT mailbox1/);
    expect(pageErrors).toEqual([]);
  });

  it('loads a view’s code when it is first shown, the session view’s when the pointer comes over the list', async () => {
    const { scope } = stack();
    const fresh = await browser.newPage({ viewport: { width: 1440, height: 860 } });
    fresh.on('pageerror', (e) => pageErrors.push(e.message));
    const scripts: string[] = [];
    fresh.on('request', (r) => {
      const file = new URL(r.url()).pathname.split('/').pop()!;
      if (file.endsWith('.js')) scripts.push(file.replace(/-[\w-]{8}\.js$/, ''));
    });
    const chunks = (): string[] => [...new Set(scripts)].sort();
    try {
      await fresh.goto(scope.url);
      const row = fresh.locator('[data-session]').first();
      await row.waitFor(WAIT);
      await fresh
        .getByTestId('connection')
        .and(fresh.locator('[data-status="open"]'))
        .waitFor(WAIT);
      expect(chunks()).toEqual(['index']);
      // Fetched ahead of the click, while the pointer is over the list.
      await row.hover();
      await expect.poll(chunks, WAIT).toEqual(['index', 'session-view']);
      await row.click();
      await fresh.getByTestId('timeline').waitFor(WAIT);
      // Opened by its URL, a view loads its own code.
      await fresh.goto(`${scope.url}#/stats`);
      await fresh
        .getByTestId('nav-stats')
        .and(fresh.locator('[aria-current="page"]'))
        .waitFor(WAIT);
      await fresh.getByTestId('stats-row').first().waitFor(WAIT);
      expect(chunks()).toContain('stats-page');
      expect(chunks()).not.toContain('audit-page');
    } finally {
      await fresh.close();
    }
    expect(pageErrors).toEqual([]);
  });

  it('stacks on a 390 px phone: the timeline first and wide, the list keeps its counts, nothing scrolls sideways', async () => {
    const { scope, dovecot } = stack();
    await play(scope.listen.host, scope.listen.port, seedDialog(dovecot.user, dovecot.password));
    const phone = await browser.newPage({
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
    });
    phone.on('pageerror', (e) => pageErrors.push(e.message));
    const noSidewaysScroll = (): Promise<boolean> =>
      phone.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
    try {
      await phone.goto(scope.url);
      const top = phone.locator('[data-session]').first();
      await expect.poll(async () => (await top.textContent()) ?? '', WAIT).toMatch(/Logout/);
      expect(await noSidewaysScroll()).toBe(true);
      // State, NO, BAD and Lints stay on screen.
      for (const name of ['State', 'NO', 'BAD', 'Lints']) {
        const box = await phone.getByRole('columnheader', { name, exact: true }).boundingBox();
        expect(box, name).not.toBeNull();
        expect(box!.x + box!.width, name).toBeLessThanOrEqual(390);
      }
      expect(await top.locator('td').last().textContent()).toMatch(/^[1-9]\d*$/);

      await top.click();
      const timeline = phone.getByTestId('timeline');
      await phone.locator('.row.group', { hasText: 'FETCH 1:3' }).waitFor(WAIT);
      const box = (await timeline.boundingBox())!;
      expect(box.width).toBeGreaterThan(300);
      expect(box.height).toBeGreaterThan(300);
      expect(await noSidewaysScroll()).toBe(true);
      // Then state, teach and inspector below it, not beside it.
      const diagram = (await phone.getByTestId('state-diagram').boundingBox())!;
      expect(diagram.y).toBeGreaterThanOrEqual(box.y + box.height);
      await phone.locator('.row.group', { hasText: 'FETCH 1:3' }).click();
      await phone.getByTestId('teach').getByTestId('lint').first().waitFor(WAIT);
      expect(await noSidewaysScroll()).toBe(true);
    } finally {
      await phone.close();
    }
    expect(pageErrors).toEqual([]);
  });
});

function message(subject: string): Buffer {
  return Buffer.from(
    `From: Ada <ada@example.test>\r\nTo: test@example.test\r\nSubject: ${subject}\r\n` +
      `Date: Wed, 26 Nov 2025 12:00:00 +0000\r\nMessage-ID: <viewer@example.test>\r\n` +
      `MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n` +
      `Hello from the end-to-end test.\r\n`,
  );
}
