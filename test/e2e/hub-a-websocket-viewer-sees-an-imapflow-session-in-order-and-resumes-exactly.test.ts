import { describe, expect, it } from 'vitest';
import type { ImapscopeEvent } from '../../shared/events.ts';
import type { GseqPage } from '../../shared/protocol.ts';
import { fromJson } from '../../shared/protocol.ts';
import { imapflowFor, PLAIN, useScopeOverDovecot } from '../helpers/scope-over-dovecot.ts';
import { connectViewer } from '../helpers/viewer-client.ts';

const stack = useScopeOverDovecot();

async function imapflowSession(): Promise<void> {
  const { scope, dovecot } = stack();
  const c = imapflowFor(scope, dovecot, PLAIN);
  await c.connect();
  await c.mailboxOpen('INBOX');
  await c.noop();
  await c.logout();
}

async function allEvents(after: number): Promise<ImapscopeEvent[]> {
  const { scope } = stack();
  const out: ImapscopeEvent[] = [];
  for (;;) {
    const url = new URL('/api/events', scope.url);
    url.search = new URL(scope.url).search;
    url.searchParams.set('after', String(after));
    const page = fromJson<GseqPage>(await (await fetch(url)).text());
    out.push(...page.events);
    if (page.nextAfter === null) return out;
    after = page.nextAfter;
  }
}

const closed = (events: ImapscopeEvent[], n: number): boolean =>
  events.filter((e) => e.type === 'session.close').length >= n;

describe('the WebSocket viewer API', () => {
  it('sends a snapshot, then every event of an imapflow session in order', async () => {
    const { scope, dovecot } = stack();
    const viewer = await connectViewer(scope.url);
    await viewer.until((v) => v.messages.length >= 1);
    const snapshot = viewer.messages[0]!;
    expect(snapshot.type).toBe('snapshot');
    const start = snapshot.type === 'snapshot' ? snapshot.lastGseq : -1;

    await imapflowSession();
    await viewer.until((v) => closed(v.events(), 1));
    const events = viewer.events();
    expect(events.map((e) => e.gseq)).toEqual(events.map((_, i) => start + i + 1));
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events[0]!.type).toBe('session.open');
    const commands = events.flatMap((e) =>
      e.type === 'exchange' ? [`${e.command} ${e.status}`] : [],
    );
    expect(commands).toEqual(
      expect.arrayContaining(['AUTHENTICATE OK', 'SELECT OK', 'NOOP OK', 'LOGOUT OK']),
    );
    // imapflow authenticates with SASL PLAIN: neither the password nor its base64 leaves the hub.
    const all = JSON.stringify(events);
    const plain = Buffer.from(`\0${dovecot.user}\0${dovecot.password}`).toString('base64');
    expect(all).not.toContain(dovecot.password);
    expect(all).not.toContain(plain);
    // The same events, in the same order, are in the archive.
    expect((await allEvents(start)).map((e) => e.gseq)).toEqual(events.map((e) => e.gseq));
    await viewer.close();
  });

  it('resumes after a reconnect with exactly the events it missed', async () => {
    const { scope } = stack();
    const first = await connectViewer(scope.url);
    await first.until((v) => v.messages.length >= 1);
    const snap = first.messages[0]!;
    const start = snap.type === 'snapshot' ? snap.lastGseq : 0;
    await imapflowSession();
    await first.until((v) => closed(v.events(), 1));
    // Drop the connection partway: keep only what was received before the second session.
    const held = first.events();
    await first.close();

    await imapflowSession();
    await imapflowSession();
    const last = held[held.length - 1]!.gseq;
    const second = await connectViewer(scope.url, { after: String(last) });
    await second.until((v) => closed(v.events(), 2));
    const resumed = second.events();
    const all = [...held, ...resumed].map((e) => e.gseq);
    const expected = (await allEvents(start)).map((e) => e.gseq);
    expect(all).toEqual(expected);
    expect(new Set(all).size).toBe(all.length);
    expect(resumed[0]!.gseq).toBe(last + 1);

    // And live events keep coming after the resumed ones, still without a hole.
    await imapflowSession();
    await second.until((v) => closed(v.events(), 3));
    const gseqs = second.events().map((e) => e.gseq);
    expect(gseqs).toEqual(gseqs.map((_, i) => last + 1 + i));
    await second.close();
  });

  it('gives a session-filtered viewer that session so far, then its live events', async () => {
    const { scope } = stack();
    const watcher = await connectViewer(scope.url);
    await watcher.until((v) => v.messages.length >= 1);
    await imapflowSession();
    await watcher.until((v) => closed(v.events(), 1));
    const session = watcher.events()[0]!.session;
    await watcher.close();
    const one = await connectViewer(scope.url, { session });
    await one.until((v) => v.messages.length >= 1);
    const snap = one.messages[0]!;
    expect(snap.type === 'snapshot' && snap.events.map((e) => e.seq)).toEqual(
      snap.type === 'snapshot' ? snap.events.map((_, i) => i + 1) : [],
    );
    expect(snap.type === 'snapshot' && snap.events.at(-1)?.type).toBe('session.close');
    await one.close();
  });
});
