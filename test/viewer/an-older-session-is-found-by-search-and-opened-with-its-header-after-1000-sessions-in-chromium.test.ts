/**
 * The session list covers the whole archive (issue 13): after 1,000 login/logout sessions
 * through imapscope to Dovecot, the viewer says how many there are, pages through them, finds
 * an older one by a mailbox name its traffic named (case-insensitively, on the hub), and
 * opens it with its header, also when opened straight by its URL.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionRow } from '../../shared/protocol.ts';
import { converse } from '../helpers/raw-imap.ts';
import { useScopeOverDovecot } from '../helpers/scope-over-dovecot.ts';
import { ensureViewerBuilt, launchChromium } from './browser.ts';

const WAIT = { timeout: 30_000 };
const SESSIONS = 1_000;
/** The older session: the 10th of 1,000, far past the first page (and the old 200-row cap). */
const OLDER = 10;
const NEEDLE = 'Zebrafish-Invoices';
let browser: Browser;
let page: Page;
let olderId = '';

beforeAll(() => ensureViewerBuilt(), 120_000);
const stack = useScopeOverDovecot();
beforeAll(async () => {
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1440, height: 860 } });
}, 120_000);
afterAll(async () => {
  await browser?.close();
});

async function api<T>(route: string): Promise<{ body: T; headers: Headers }> {
  const { scope } = stack();
  const url = new URL(route, scope.url);
  url.searchParams.set('token', new URL(scope.url).searchParams.get('token')!);
  const res = await fetch(url);
  return { body: (await res.json()) as T, headers: res.headers };
}

describe('the session list over 1,000 sessions in Chromium', () => {
  it('records 1,000 login/logout sessions, one of them older with a distinctive mailbox', async () => {
    const { scope, dovecot } = stack();
    const login = `LOGIN ${dovecot.user} ${dovecot.password}`;
    const one = (i: number): Promise<unknown> =>
      converse(scope.listen.host, scope.listen.port, [
        login,
        ...(i === OLDER ? [`STATUS ${NEEDLE} (MESSAGES)`] : []),
        'LOGOUT',
      ]);
    // The older one alone first, so that it is older than all the rest.
    for (let i = 0; i <= OLDER; i++) await one(i);
    let next = OLDER + 1;
    const worker = async (): Promise<void> => {
      while (next < SESSIONS) await one(next++);
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    for (let i = 0; i < 100; i++) {
      const { headers } = await api<SessionRow[]>('/api/sessions?state=ended&limit=1');
      if (Number(headers.get('x-total-count')) >= SESSIONS) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const { body, headers } = await api<SessionRow[]>(`/api/sessions?text=${NEEDLE.toLowerCase()}`);
    expect(headers.get('x-total-count')).toBe('1');
    olderId = body[0]!.id;
    const { body: oldest } = await api<SessionRow[]>(
      '/api/sessions?sort=started&order=asc&limit=11',
    );
    expect(oldest.map((r) => r.id)).toContain(olderId);
  }, 300_000);

  it('shows the true total and pages through it', async () => {
    const { scope } = stack();
    await page.goto(scope.url);
    const counter = page.getByTestId('session-count');
    await counter.getByText(`1–50 of 1,000 sessions`).waitFor(WAIT);
    expect(await page.locator('[data-session]').count()).toBe(50);
    await page.getByTestId('page-next').click();
    await counter.getByText('51–100 of 1,000 sessions').waitFor(WAIT);
    // Sorted oldest first by a click on the Started column, the older session is on page one.
    await page.getByTestId('page-previous').click();
    await page.locator('th', { hasText: 'Started' }).click(); // newest first already: flips
    await page.locator(`[data-session="${olderId}"]`).waitFor(WAIT);
    await page.locator('th', { hasText: 'Started' }).click();
    await counter.getByText('1–50 of 1,000 sessions').waitFor(WAIT);
  });

  it('finds the older session by a search on the hub, case-insensitively, and opens it with its header', async () => {
    const { dovecot } = stack();
    await page.getByTestId('session-search').fill(NEEDLE.toUpperCase());
    await page.getByTestId('session-count').getByText('1–1 of 1 session').waitFor(WAIT);
    const row = page.locator(`[data-session="${olderId}"]`);
    await row.waitFor(WAIT);
    expect(await page.locator('[data-session]').count()).toBe(1);
    await row.click();
    await page.locator('.row.group', { hasText: 'STATUS' }).first().waitFor(WAIT);
    const bar = page.getByTestId('session-bar');
    await bar.getByText(dovecot.user).waitFor(WAIT);
    expect(await bar.textContent()).toMatch(/127\.0\.0\.1:\d+ → 127\.0\.0\.1:\d+/);
  });

  it('opened straight by its URL, the older session still shows client, user, time and bytes', async () => {
    const { scope, dovecot } = stack();
    const fresh = await browser.newPage({ viewport: { width: 1440, height: 860 } });
    const url = new URL(scope.url);
    url.hash = `#/session/${olderId}`;
    await fresh.goto(url.toString());
    const bar = fresh.getByTestId('session-bar');
    await bar.getByText(dovecot.user).waitFor(WAIT);
    const text = (await bar.textContent()) ?? '';
    expect(text).toMatch(/127\.0\.0\.1:\d+ → 127\.0\.0\.1:\d+/);
    expect(text).toMatch(/\d\d:\d\d:\d\d/);
    expect(text).toMatch(/↑ \d+ B ↓ \d+/);
    await fresh.close();
  });
});
