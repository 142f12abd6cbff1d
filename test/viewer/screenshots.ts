/**
 * The README's screenshots, by an explicit command (tests never write docs/):
 *
 *   npm run screenshots
 *
 * Starts imapscope with its built-in practice server, drives two sessions through it (imapflow
 * appending, fetching, flagging, copying and deleting messages; the seed dialog typed line by
 * line), then captures the viewer in Chromium at 1440 px (desktop, light and dark) and 390 px
 * (a phone) into docs/: the session list and view, the inspector, the console and its lessons
 * (three of them done by typing them), the display filter, the Audit view and the Statistics.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { ImapFlow } from 'imapflow';
import type { Page } from 'playwright-core';
import { REPO_ROOT, startImapscope } from '../helpers/imapscope.ts';
import { play, seedDialog } from '../helpers/seed-dialog.ts';
import { ensureViewerBuilt, launchChromium } from './browser.ts';

const DOCS = path.join(REPO_ROOT, 'docs');
const WAIT = { timeout: 20_000 };

/** A message whose subject is an RFC 2047 encoded word and whose body is UTF-8. */
const MESSAGE = Buffer.from(
  'From: Ada <ada@example.test>\r\nTo: learner@practice.test\r\n' +
    'Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe_aus_dem_Viewer?=\r\n' +
    'Date: Wed, 26 Nov 2025 12:00:00 +0000\r\nMessage-ID: <screenshots@example.test>\r\n' +
    'MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n' +
    'Content-Transfer-Encoding: 8bit\r\n\r\nGrüße! Hello from imapscope’s screenshot run.\r\n',
);

ensureViewerBuilt();
mkdirSync(DOCS, { recursive: true });
const scope = await startImapscope();
const practice = scope.readyLine.practice as { user: string; password: string };
const browser = await launchChromium();
try {
  const client = new ImapFlow({
    host: scope.listen.host,
    port: scope.listen.port,
    secure: false,
    doSTARTTLS: false,
    auth: { user: practice.user, pass: practice.password },
    logger: false,
  });
  await client.connect();
  await client.append('INBOX', MESSAGE, ['\\Seen']);
  await client.mailboxOpen('INBOX');
  for await (const _m of client.fetch('*', { envelope: true, source: true })) {
    // drain
  }
  // Something for the Audit view and the Statistics: flags, a copy, a refused select, deletes.
  const last = (await client.status('INBOX', { messages: true })).messages ?? 1;
  await client.messageFlagsAdd(String(last), ['\\Flagged']);
  await client.mailboxCreate('Receipts').catch(() => undefined);
  await client.messageCopy(String(last), 'Receipts');
  await client.mailboxOpen('INBOX');
  for (let i = 0; i < 40; i++) await client.noop();
  await client.mailboxOpen('No such folder').catch(() => undefined);
  await client.mailboxOpen('INBOX');
  await client.messageFlagsAdd(String(last), ['\\Deleted']);
  await client.messageFlagsRemove(String(last), ['\\Deleted']);
  await client.logout();
  const received = await play(
    scope.listen.host,
    scope.listen.port,
    seedDialog(practice.user, practice.password),
    60,
  );
  if (!received.at(-1)?.startsWith('A0006 OK')) throw new Error(`seed dialog: ${received.at(-1)}`);

  const desktop = await browser.newPage({
    viewport: { width: 1440, height: 860 },
    colorScheme: 'light',
  });
  await desktop.goto(scope.url);
  await desktop.locator('[data-session]').nth(1).waitFor(WAIT);
  await waitUntilEnded(desktop);
  await shot(desktop, 'viewer-session-list.png');

  // The seed dialog (newest, on top): FETCH 1:3 without data items, explained.
  await desktop.locator('[data-session]').first().click();
  await desktop.locator('.row.group', { hasText: 'FETCH 1:3' }).click();
  await desktop.getByTestId('lint').first().waitFor(WAIT);
  await shot(desktop, 'viewer-session.png');
  await desktop.getByTestId('theme').click();
  await shot(desktop, 'viewer-session-dark.png');
  await desktop.getByTestId('theme').click();

  // imapflow's session: the fetched message's literal in the inspector.
  await desktop.goto(scope.url);
  await desktop.locator('[data-session]').nth(1).click();
  await desktop
    .locator('.row.group', { hasText: /FETCH .*BODY/ })
    .first()
    .click();
  await desktop.keyboard.press('Enter');
  await desktop
    .locator('.row.child', { hasText: /\* \d+ FETCH/ })
    .first()
    .click();
  const inspector = desktop.getByTestId('inspector');
  await inspector.getByTestId('literal').first().waitFor(WAIT);
  await inspector.evaluate((el) => el.scrollIntoView({ block: 'start' }));
  await shot(desktop, 'viewer-inspector.png');

  // The console: the seed dialog typed line by line (numbered tags), the session beside it.
  await desktop.goto(`${scope.url}#/console`);
  await desktop
    .getByTestId('console-transcript')
    .getByText(/^\* OK/)
    .waitFor(WAIT);
  for (const [i, line] of seedDialog(practice.user, practice.password).entries()) {
    const command = line.split(' ').slice(1).join(' ');
    await desktop.getByTestId('console-input').fill(command);
    await desktop.getByTestId('console-input').press('Enter');
    await desktop
      .getByTestId('console-transcript')
      .locator('.cline.s2c', { hasText: new RegExp(`^S:A000${i + 1} `) })
      .waitFor(WAIT);
  }
  await desktop.getByTestId('state-path').locator('button[data-to="logout"]').waitFor(WAIT);
  await desktop.locator('.row.group', { hasText: 'FETCH 1:3' }).click();
  await shot(desktop, 'viewer-console.png');

  // A lesson: a new console session, the course started over, three lessons done by typing
  // them, the next one (a literal) open with its goal.
  await desktop.reload();
  await lessonSteps(desktop, true);
  await desktop.locator('.row.group', { hasText: 'FETCH 2' }).click();
  await shot(desktop, 'viewer-lesson.png');

  // The display filter in imapflow's session: the refused SELECT found among the NOOPs.
  const lookup = new URL('/api/sessions', scope.url);
  lookup.searchParams.set('filter', 'cmd:NOOP');
  lookup.searchParams.set('token', new URL(scope.url).searchParams.get('token')!);
  const [flow] = (await (await fetch(lookup)).json()) as { id: string }[];
  await desktop.goto(`${scope.url}#/session/${encodeURIComponent(flow!.id)}`);
  await desktop.locator('.row.group').first().waitFor(WAIT);
  await desktop.getByTestId('filter-input').fill('status:NO OR cmd:STORE');
  await desktop.getByTestId('filter-input').press('Enter');
  await desktop.locator('.row.group.selected').waitFor(WAIT);
  await shot(desktop, 'viewer-filter.png');

  // The Audit view for the practice user, and the Statistics.
  await desktop.goto(`${scope.url}#/audit`);
  await desktop.getByTestId('audit-user').fill(practice.user);
  await desktop.getByTestId('audit-row').nth(4).waitFor(WAIT);
  await shot(desktop, 'viewer-audit.png');
  await desktop.goto(`${scope.url}#/stats`);
  await desktop.getByTestId('percentile-chart').waitFor(WAIT);
  await shot(desktop, 'viewer-stats.png');

  // A phone: the list, then the seed dialog stacked (timeline first).
  const phone = await browser.newPage({
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    colorScheme: 'light',
  });
  await phone.goto(scope.url);
  await phone.locator('[data-session]').nth(1).waitFor(WAIT);
  await shot(phone, 'viewer-phone-list.png');
  await phone.locator('[data-session]').nth(1).click();
  await phone.locator('.row.group', { hasText: 'FETCH 1:3' }).click();
  await shot(phone, 'viewer-phone-session.png');
  await phone.goto(`${scope.url}#/console`);
  await lessonSteps(phone, false);
  await phone.getByTestId('lessons').evaluate((el) => el.scrollIntoView({ block: 'end' }));
  await shot(phone, 'viewer-phone-lesson.png');
  await phone.goto(`${scope.url}#/audit`);
  await phone.getByTestId('audit-row').nth(4).waitFor(WAIT);
  await shot(phone, 'viewer-phone-audit.png');
  await phone.goto(`${scope.url}#/stats`);
  await phone.getByTestId('percentile-chart').waitFor(WAIT);
  await shot(phone, 'viewer-phone-stats.png');
  console.log(`wrote docs/viewer-*.png from ${scope.url.replace(/token=.*/, 'token=…')}`);
} finally {
  await browser.close();
  await scope.stop();
}

/** In the console: Start over (when asked), then log in, EXAMINE INBOX, the headers of message 2. */
async function lessonSteps(page: Page, startOver: boolean): Promise<void> {
  const input = page.getByTestId('console-input');
  await page.waitForFunction(
    () =>
      !(document.querySelector('[data-testid="console-input"]') as HTMLInputElement | null)
        ?.disabled,
  );
  if (startOver && (await page.getByTestId('lessons-reset').count()) > 0)
    await page.getByTestId('lessons-reset').click();
  const lines = ['LOGIN learner practice', 'EXAMINE INBOX', 'FETCH 2 (BODY.PEEK[HEADER])'];
  for (const [i, line] of lines.entries()) {
    await input.fill(line);
    await input.press('Enter');
    await page
      .getByTestId('console-transcript')
      .locator('.cline.s2c', { hasText: new RegExp(`^S:A000${i + 1} OK`) })
      .waitFor(WAIT);
  }
  await page.locator('[data-testid="lesson-fetch-headers"][data-done="true"]').waitFor(WAIT);
}

function shot(page: Page, name: string): Promise<Buffer> {
  return page.screenshot({ path: path.join(DOCS, name), animations: 'disabled' });
}

/** Both sessions closed (no "live" pill left), so the list shows their final state. */
async function waitUntilEnded(page: Page): Promise<void> {
  const deadline = Date.now() + WAIT.timeout;
  while ((await page.locator('[data-session] .pill.live').count()) > 0) {
    if (Date.now() > deadline) throw new Error('sessions still live after 20 s');
    await page.waitForTimeout(100);
  }
}
