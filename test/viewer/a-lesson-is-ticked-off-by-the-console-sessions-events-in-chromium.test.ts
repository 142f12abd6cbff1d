/**
 * The console's lessons end to end: Chromium types into the console, imapscope relays it to the
 * practice server, and a lesson is ticked off only when the session's events meet its goal
 * (SELECT, the wrong way to open a mailbox read-only, does not tick "EXAMINE" off). Progress
 * stays in the browser across reloads and new sessions until "Start over".
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startImapscope, type Imapscope } from '../helpers/imapscope.ts';
import { ensureViewerBuilt, launchChromium } from './browser.ts';

const WAIT = { timeout: 20_000 };

let scope: Imapscope;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  ensureViewerBuilt();
  scope = await startImapscope();
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1440, height: 860 } });
  page.on('pageerror', (e) => pageErrors.push(e.message));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await scope?.stop();
});

const transcript = () => page.getByTestId('console-transcript');
const lesson = (id: string) => page.getByTestId(`lesson-${id}`);
const done = (id: string) => lesson(id).getAttribute('data-done');

/** Types a line (auto-tagged) and waits for the tagged answer to that tag. */
async function type(line: string, tag: string): Promise<void> {
  await page.getByTestId('console-input').fill(line);
  await page.getByTestId('console-input').press('Enter');
  await transcript()
    .locator('.cline.s2c', { hasText: new RegExp(`^S:${tag} (OK|NO|BAD)`) })
    .waitFor(WAIT);
}

async function openConsole(): Promise<void> {
  await page.goto(`${scope.url}#/console`);
  await expect.poll(() => page.getByTestId('console-input').isEnabled(), WAIT).toBe(true);
  await transcript()
    .getByText(/^\* OK/)
    .first()
    .waitFor(WAIT);
}

describe('lessons in the console, in Chromium against the practice server', () => {
  it('SELECT does not tick off "read-only"; EXAMINE does, from the session’s events', async () => {
    await openConsole();
    await page.getByTestId('lessons').waitFor(WAIT);
    expect(await page.getByTestId('lessons-count').textContent()).toBe('· 0 of 6 done');
    expect(await done('login')).toBe('false');

    await type('LOGIN learner practice', 'A0001');
    await expect.poll(() => done('login'), WAIT).toBe('true');

    // The wrong way: SELECT opens INBOX read-write. Its exchange is drawn; the lesson stays open.
    await type('SELECT INBOX', 'A0002');
    await page.locator('.row.group[data-status="OK"]', { hasText: 'SELECT' }).waitFor(WAIT);
    // A later exchange proves the SELECT's events have all been seen by the lesson check.
    await type('NOOP', 'A0003');
    await page.locator('.row.group', { hasText: 'NOOP' }).waitFor(WAIT);
    expect(await done('examine')).toBe('false');

    await type('EXAMINE INBOX', 'A0004');
    await expect.poll(() => done('examine'), WAIT).toBe('true');
    await lesson('examine').getByRole('button').click();
    expect(await lesson('examine').getByTestId('lesson-done-detail').textContent()).toBe(
      '✓ A0004 EXAMINE OK: INBOX is selected read-only',
    );
    expect(await page.getByTestId('lessons-count').textContent()).toBe('· 2 of 6 done');
    expect(pageErrors).toEqual([]);
  });

  it('the rest of the course: headers of message 2, a literal, MOVE with COPYUID, LOGOUT', async () => {
    // Still the same page and session (EXAMINE'd INBOX): the headers of message 2.
    await type('FETCH 2 (BODY.PEEK[HEADER])', 'A0005');
    await expect.poll(() => done('fetch-headers'), WAIT).toBe('true');

    // A synchronizing literal: the console holds the bytes until the server's +.
    await page.getByTestId('console-input').fill('CREATE {7}');
    await page.getByTestId('console-input').press('Enter');
    await transcript().locator('.cline.s2c', { hasText: /^S:\+/ }).waitFor(WAIT);
    await type('lessons', 'A0006');
    await expect.poll(() => done('literal'), WAIT).toBe('true');

    // The right command refused: under EXAMINE the server answers MOVE with NO, no tick.
    await type('MOVE 1 Archive', 'A0007');
    await page.locator('.row.group[data-status="NO"]', { hasText: 'MOVE' }).waitFor(WAIT);
    await type('SELECT INBOX', 'A0008');
    await page.locator('.row.group', { hasText: 'A0008' }).waitFor(WAIT);
    expect(await done('move')).toBe('false');
    await type('MOVE 1 Archive', 'A0009');
    await expect.poll(() => done('move'), WAIT).toBe('true');
    await lesson('move').getByRole('button').click();
    expect(await lesson('move').getByTestId('lesson-done-detail').textContent()).toMatch(
      /^✓ A0009 MOVE OK: UID \d+ is now UID \d+ \(UIDVALIDITY \d+\)$/,
    );

    await type('LOGOUT', 'A0010');
    await expect.poll(() => done('logout'), WAIT).toBe('true');
    expect(await page.getByTestId('lessons-count').textContent()).toBe('· 6 of 6 done');
    expect(pageErrors).toEqual([]);
  });

  it('progress outlives a reload and a new session; "Start over" forgets it', async () => {
    await page.reload();
    await expect.poll(() => page.getByTestId('console-input').isEnabled(), WAIT).toBe(true);
    await expect
      .poll(() => page.getByTestId('lessons-count').textContent(), WAIT)
      .toBe('· 6 of 6 done');
    await page.getByTestId('lessons-reset').click();
    // React redraws after the click's handler: poll, as a reader's eye would.
    const count = (): Promise<string | null> => page.getByTestId('lessons-count').textContent();
    await expect.poll(count, WAIT).toBe('· 0 of 6 done');
    await page.reload();
    await page.getByTestId('lessons').waitFor(WAIT);
    await expect.poll(count, WAIT).toBe('· 0 of 6 done');
    expect(pageErrors).toEqual([]);
  });

  it('on a 390 px phone the lessons stack under the console and nothing scrolls sideways', async () => {
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true });
    try {
      await phone.goto(`${scope.url}#/console`);
      await phone.getByTestId('lesson-login').waitFor(WAIT);
      const panel = (await phone.getByTestId('console').boundingBox())!;
      const lessons = (await phone.getByTestId('lessons').boundingBox())!;
      expect(lessons.y).toBeGreaterThanOrEqual(panel.y + panel.height - 1);
      expect(lessons.width).toBeGreaterThan(300);
      expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
        390,
      );
    } finally {
      await phone.close();
    }
  });
});
