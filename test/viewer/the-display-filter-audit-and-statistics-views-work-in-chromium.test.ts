/**
 * The display filter, the Audit view and the Statistics view end to end: Debian's Chromium on
 * the viewer served by a real imapscope in front of a real Dovecot, driven by imapflow.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditAction } from '../../shared/audit.ts';
import type { SessionRow } from '../../shared/protocol.ts';
import { AUDIT_ACTIONS, runAuditWorkload } from '../helpers/audit-workload.ts';
import { imapflowFor, PLAIN, useScopeOverDovecot } from '../helpers/scope-over-dovecot.ts';
import { ensureViewerBuilt, launchChromium } from './browser.ts';

const WAIT = { timeout: 30_000 };
const NOOPS = 320;

let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

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

function apiUrl(route: string): URL {
  const { scope } = stack();
  const url = new URL(route, scope.url);
  url.searchParams.set('token', new URL(scope.url).searchParams.get('token')!);
  return url;
}

async function auditRows(): Promise<AuditAction[]> {
  const url = apiUrl('/api/audit');
  url.searchParams.set('user', stack().dovecot.user);
  return (await (await fetch(url)).json()) as AuditAction[];
}

/** The audit view's rows as `kind status mailbox[ → target]`, top (newest) first. */
function viewRows(p: Page): Promise<string[]> {
  return p.getByTestId('audit-row').evaluateAll((rows) =>
    rows.map((r) => {
      const cells = r.querySelectorAll('td');
      const kind = r.getAttribute('data-kind');
      const status = r.getAttribute('data-status');
      return `${kind} ${status} ${cells[4]!.textContent!.trim()}`.trim();
    }),
  );
}

describe('the viewer’s display filter, Audit and Statistics views in Chromium', () => {
  it('lists exactly what an imapflow user read, flagged, moved, expunged and appended, and opens the exchange behind a row', async () => {
    const { scope, dovecot } = stack();
    await runAuditWorkload(scope, dovecot);
    // The view asks once: wait until the archive holds every action the workload caused.
    for (let i = 0; i < 100 && (await auditRows()).length < AUDIT_ACTIONS.length; i++) {
      await new Promise((r) => setTimeout(r, 200));
    }

    // What the test did, newest first, as the view lists it.
    const expected = [...AUDIT_ACTIONS].reverse();
    await page.goto(scope.url);
    await page.getByTestId('nav-audit').click();
    await page.getByTestId('audit-user').fill(dovecot.user);
    await expect.poll(() => viewRows(page), WAIT).toEqual(expected);
    // The same rows as the API, which the CLI test checks against `imapscope audit`.
    const api = await auditRows();
    expect(api.map((a) => a.kind)).toEqual(expected.map((e) => e.split(' ')[0]));
    // Narrowed to one kind, only the move is left.
    await page.getByTestId('audit-kind').selectOption('move');
    await expect.poll(() => viewRows(page), WAIT).toEqual(['move OK INBOX → Kept']);
    const move = api.find((a) => a.kind === 'move')!;
    expect(await page.getByTestId('audit-row').textContent()).toContain('audit 2');

    // Click-through: the session opens with the UID MOVE selected and in view.
    await page.getByTestId('audit-row').click();
    await page.waitForURL(
      new RegExp(`#/session/${encodeURIComponent(move.session)}/at/${move.commandSeq}$`),
    );
    const selected = page.locator('.row.group.selected');
    await selected.waitFor(WAIT);
    expect(await selected.textContent()).toMatch(/UID MOVE/);
    expect(await selected.isVisible()).toBe(true);
  });

  it(`finds the one NO among ${NOOPS} exchanges with the display filter, and steps through matches`, async () => {
    const { scope, dovecot } = stack();
    const c = imapflowFor(scope, dovecot, PLAIN);
    await c.connect();
    for (let i = 0; i < NOOPS / 2; i++) await c.noop();
    await expect(c.mailboxOpen('NoSuchMailbox')).rejects.toThrow();
    for (let i = 0; i < NOOPS / 2; i++) await c.noop();
    await c.logout();

    // The session list's REST filter finds the session; a mistake is a 400 naming the span.
    let id: string | undefined;
    for (let i = 0; i < 100 && !id; i++) {
      const url = apiUrl('/api/sessions');
      url.searchParams.set('filter', 'status:NO cmd:SELECT mailbox:nosuchmailbox');
      id = ((await (await fetch(url)).json()) as SessionRow[])[0]?.id;
      if (!id) await new Promise((r) => setTimeout(r, 200));
    }
    expect(id).toBeDefined();
    const bad = apiUrl('/api/sessions');
    bad.searchParams.set('filter', 'latency>fast');
    const refused = await fetch(bad);
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toBe(
      'filter, at 8..12: latency: "fast" is not a duration; use a number with ms or s (100ms, 1.5s)',
    );

    await page.goto(`${scope.url}#/session/${encodeURIComponent(id!)}`);
    // Every event loaded (the timeline is virtualized: far rows are not drawn).
    await expect
      .poll(() => page.getByTestId('row-count').textContent(), WAIT)
      .toMatch(/^[\d,]+ rows · [\d,]+ events$/);
    const input = page.getByTestId('filter-input');
    const count = page.getByTestId('filter-count');
    await input.fill('status:NO');
    await expect.poll(() => count.textContent(), WAIT).toBe('1 match');
    await input.press('Enter');
    await expect.poll(() => count.textContent(), WAIT).toBe('1 of 1');
    const selected = page.locator('.row.group.selected');
    expect(await selected.textContent()).toMatch(/SELECT .*NoSuchMailbox.*NO/);
    expect(await selected.isVisible()).toBe(true);
    expect(await page.locator('.row.match').count()).toBe(1);

    // Every NOOP matches; the buttons and n / N (outside the box) step from the selected
    // row, the NO in the middle: the next NOOP is the (NOOPS / 2 + 1)th.
    await input.fill('cmd:noop');
    await expect.poll(() => count.textContent(), WAIT).toBe(`${NOOPS} matches`);
    expect(await page.locator('.row.match').count()).toBeGreaterThan(10);
    await page.getByTestId('filter-next').click();
    await expect.poll(() => count.textContent(), WAIT).toBe(`${NOOPS / 2 + 1} of ${NOOPS}`);
    await page.keyboard.press('n');
    await expect.poll(() => count.textContent(), WAIT).toBe(`${NOOPS / 2 + 2} of ${NOOPS}`);
    await page.keyboard.press('Shift+N');
    await page.keyboard.press('Shift+N');
    await expect.poll(() => count.textContent(), WAIT).toBe(`${NOOPS / 2} of ${NOOPS}`);
    expect(await page.locator('.row.group.selected').isVisible()).toBe(true);
    await page.getByTestId('filter-prev').click();
    await expect.poll(() => count.textContent(), WAIT).toBe(`${NOOPS / 2 - 1} of ${NOOPS}`);
    await input.fill('status:NO OR cmd:NOOP');
    await expect.poll(() => count.textContent(), WAIT).toBe(`${NOOPS / 2 - 1} of ${NOOPS + 1}`);

    // `/` focuses the box; a mistake is shown under it, the offending part marked.
    await page.getByTestId('timeline').click();
    await page.keyboard.press('/');
    await page.keyboard.press('Control+A');
    await page.keyboard.type('cmd:FETCH sender:bob');
    const error = page.getByTestId('filter-error');
    await error.waitFor(WAIT);
    expect(await error.locator('mark').textContent()).toBe('sender');
    expect(await error.textContent()).toContain(
      'use one of cmd, status, latency, mailbox, uid, text, tag, code, lint',
    );
    expect(await count.textContent()).toBe('');
  });

  it('charts latency per command with its NO rate, and every view fits a 390 px phone', async () => {
    const { scope } = stack();
    await page.goto(scope.url);
    await page.getByTestId('nav-stats').click();
    const noop = page.locator('[data-testid="stats-row"][data-command="NOOP"]');
    await noop.waitFor(WAIT);
    expect(Number((await noop.locator('td').nth(1).textContent())!.replace(/\D/g, ''))).toBe(NOOPS);
    const select = page.locator('[data-testid="stats-row"][data-command="SELECT"]');
    expect(await select.locator('td').nth(2).textContent()).toMatch(/^\d+(\.\d+)?%$/);
    await page.getByTestId('percentile-chart').waitFor(WAIT);
    expect(await page.getByTestId('percentile-chart').locator('g.failed').count()).toBeGreaterThan(
      0,
    );

    const phone = await browser.newPage({
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
    });
    try {
      for (const view of ['#/', '#/audit', '#/stats']) {
        await phone.goto(`${scope.url}${view}`);
        await phone.getByTestId('nav-stats').waitFor(WAIT);
        if (view !== '#/') {
          await phone
            .getByTestId(view === '#/audit' ? 'audit-row' : 'stats-row')
            .first()
            .waitFor(WAIT);
        }
        const wide = await phone.evaluate(() => document.documentElement.scrollWidth);
        expect({ view, wide }).toEqual({ view, wide: 390 });
      }
    } finally {
      await phone.close();
    }
    expect(pageErrors).toEqual([]);
  });
});
