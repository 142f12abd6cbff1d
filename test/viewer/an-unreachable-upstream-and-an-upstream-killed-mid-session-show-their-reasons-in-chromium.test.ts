/**
 * Failures are never invisible (issue 13): Dovecot killed (SIGKILL) under a live session, then
 * a client arriving while it is gone. Both are sessions with their reasons, in the API and in
 * the viewer's list in Chromium; the killed one has an event saying the upstream closed
 * without BYE, after the server's last response and before the command it aborted.
 */
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImapscopeEvent } from '../../shared/events.ts';
import type { EventPage, SessionRow } from '../../shared/protocol.ts';
import { fromJson } from '../../shared/protocol.ts';
import { startDovecot, type Dovecot } from '../helpers/dovecot.ts';
import { startImapscope, type Imapscope } from '../helpers/imapscope.ts';
import { readUntilClose } from '../helpers/raw-imap.ts';
import { ensureViewerBuilt, launchChromium } from './browser.ts';

const WAIT = { timeout: 20_000 };
let dovecot: Dovecot;
let scope: Imapscope;
let browser: Browser;

beforeAll(() => ensureViewerBuilt(), 120_000);
beforeAll(async () => {
  dovecot = await startDovecot();
  scope = await startImapscope(['--upstream', `${dovecot.host}:${dovecot.port}`]);
  browser = await launchChromium();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await scope?.stop();
  await dovecot?.stop();
});

/** SIGKILLs this Dovecot's master and every process under it: no BYE, just gone. */
function killDovecot(dir: string): void {
  const parent = new Map<number, number>();
  const roots: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parent.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmd.includes(dir) && /dovecot/.test(cmd)) roots.push(Number(entry));
    } catch {
      // gone already
    }
  }
  const doomed = new Set(roots);
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid, ppid] of parent) {
      if (doomed.has(ppid) && !doomed.has(pid)) {
        doomed.add(pid);
        grew = true;
      }
    }
  }
  expect(roots.length).toBeGreaterThan(0);
  for (const pid of doomed) process.kill(pid, 'SIGKILL');
}

async function get<T>(route: string): Promise<T> {
  const url = new URL(route, scope.url);
  url.searchParams.set('token', new URL(scope.url).searchParams.get('token')!);
  return fromJson<T>(await (await fetch(url)).text());
}

async function sessionEnded(id: string): Promise<SessionRow> {
  for (let i = 0; i < 100; i++) {
    const row = await get<SessionRow>(`/api/sessions/${id}`);
    if (row.endedAt !== null) return row;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`session ${id} did not end`);
}

/** Logs in, selects INBOX and starts IDLE; resolves once the server said `+`. */
function idleSession(): Promise<{ socket: net.Socket; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: scope.listen.host, port: scope.listen.port });
    const closed = new Promise<void>((r) => socket.on('close', () => r()));
    let text = '';
    const steps: [RegExp, string | null][] = [
      [/^\* OK/m, `a1 LOGIN ${dovecot.user} ${dovecot.password}\r\n`],
      [/^a1 OK/m, 'a2 SELECT INBOX\r\n'],
      [/^a2 OK/m, 'a3 IDLE\r\n'],
      [/^\+ /m, null],
    ];
    socket.on('error', reject);
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      const step = steps[0];
      if (!step || !step[0].test(text)) return;
      steps.shift();
      text = '';
      if (step[1] !== null) socket.write(step[1]);
      else resolve({ socket, closed });
    });
  });
}

describe('failures in the session list', () => {
  let killedId = '';
  let refusedId = '';

  it('an upstream killed mid-session ends it "upstream closed without BYE", said where it happened', async () => {
    const before = new Set((await get<SessionRow[]>('/api/sessions')).map((r) => r.id));
    const { closed } = await idleSession();
    killDovecot(dovecot.dir);
    await closed; // the relay passed the upstream's end on to the client
    const rows = await get<SessionRow[]>('/api/sessions');
    killedId = rows.find((r) => !before.has(r.id))!.id;
    const row = await sessionEnded(killedId);
    expect(row.reason).toBe('upstream-closed');
    const { events } = await get<EventPage>(`/api/sessions/${killedId}/events?limit=1000`);
    const lint = events.findIndex(
      (e: ImapscopeEvent) => e.type === 'lint' && e.code === 'LINT_UPSTREAM_CLOSED',
    );
    expect(lint).toBeGreaterThan(0);
    const lastServerMessage = events.findLastIndex(
      (e) => e.type === 'message' && e.direction === 's2c',
    );
    expect(events[lastServerMessage]).toMatchObject({
      message: { raw: expect.stringMatching(/^\+ /) },
    });
    expect(lint).toBeGreaterThan(lastServerMessage);
    const aborted = events.findIndex((e) => e.type === 'exchange' && e.command === 'IDLE');
    expect(events[aborted]).toMatchObject({ status: 'aborted' });
    expect(aborted).toBeGreaterThan(lint);
    expect(events.at(-1)).toMatchObject({ type: 'session.close', reason: 'upstream-closed' });
  });

  it('the next client, with the upstream gone, is a session ended "upstream unreachable"', async () => {
    const { text } = await readUntilClose(scope.listen.host, scope.listen.port);
    expect(text).toMatch(/^\* BYE \[UNAVAILABLE\] /);
    for (let i = 0; i < 100 && !refusedId; i++) {
      const row = (await get<SessionRow[]>('/api/sessions')).find(
        (r) => r.reason === 'upstream-unavailable',
      );
      if (row) refusedId = row.id;
      else await new Promise((r) => setTimeout(r, 100));
    }
    expect(refusedId).not.toBe('');
  });

  it('both are in the viewer’s list with their reasons, in red', async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 860 } });
    await page.goto(scope.url);
    const killed = page.locator(`[data-session="${killedId}"]`);
    const refused = page.locator(`[data-session="${refusedId}"]`);
    await killed.waitFor(WAIT);
    await refused.waitFor(WAIT);
    expect(await killed.getByTestId('end-reason').textContent()).toBe(
      'upstream closed without BYE',
    );
    expect(await refused.getByTestId('end-reason').textContent()).toBe('upstream unreachable');
    expect(await killed.getAttribute('class')).toContain('failed');
    expect(await refused.getAttribute('class')).toContain('failed');
    // Opened, the killed session shows the event that says what happened.
    await killed.click();
    await page.getByText('The upstream closed the connection without BYE').first().waitFor(WAIT);
    await page.close();
  });
});
