import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Archive } from '../../proxy/archive/archive.ts';
import { getSession } from '../../proxy/archive/read.ts';
import { SessionRegistry } from '../../proxy/hub/registry.ts';
import { SessionPipeline } from '../../proxy/inspection/pipeline.ts';
import type { ImapscopeEvent } from '../../shared/events.ts';
import {
  applySessionEvent,
  formatEndpoint,
  newSessionRow,
  reduceSessionRow,
} from '../../shared/session-row.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/**
 * A real event sequence: the inspection pipeline fed a session that logs in in clear text (a
 * lint), selects, gets a NO and a BAD, loses bytes to an inspection gap, and logs out.
 */
function loggedSession(id = 's1'): ImapscopeEvent[] {
  const p = new SessionPipeline({
    session: id,
    client: { host: '::1', port: 50000 },
    upstream: { host: '127.0.0.1', port: 143 },
    startedAt: 1000,
  });
  const events: ImapscopeEvent[] = [];
  let at = 1000;
  const c = (text: string) =>
    events.push(...p.push([{ direction: 'c2s', data: Buffer.from(text), at: (at += 10) }]).events);
  const s = (text: string) =>
    events.push(...p.push([{ direction: 's2c', data: Buffer.from(text), at: (at += 10) }]).events);
  s('* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r\n');
  c('a1 LOGIN alice secret\r\n');
  s('a1 OK [CAPABILITY IMAP4rev1 IDLE] logged in\r\n');
  c('a2 SELECT INBOX\r\n');
  s('* 3 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\na2 OK [READ-WRITE] selected\r\n');
  c('a3 FETCH 9 BODY[]\r\n');
  s('a3 NO no such message\r\n');
  c('a4 BOGUS\r\n');
  s('a4 BAD unknown command\r\n');
  events.push(...p.gap('s2c', 2, 4096, (at += 10)).events);
  c('a5 LOGOUT\r\n');
  s('* BYE bye\r\na5 OK logged out\r\n');
  events.push(
    ...p.close({ bytes: { c2s: 120, s2c: 4500 }, reason: 'closed', durationMs: 200 }, (at += 10))
      .events,
  );
  // The hub stamps gseq; the archive keys events on it.
  return events.map((e, i) => ({ ...e, gseq: i + 1 }));
}

describe('the session row reducer', () => {
  it('reduces a real session to its row: who, where, state, counts and how it ended', () => {
    const events = loggedSession();
    const row = reduceSessionRow(events);
    const close = events.at(-1);
    expect(close?.type).toBe('session.close');
    expect(row).toEqual({
      id: 's1',
      client: '[::1]:50000',
      clientName: null,
      clientVersion: null,
      upstream: '127.0.0.1:143',
      startedAt: 1000,
      endedAt: close?.at,
      user: 'alice',
      state: 'logout',
      reason: 'closed',
      bytesC2s: 120,
      bytesS2c: 4500,
      events: events.length,
      source: 'live',
      droppedEvents: 0,
      exchangeCount: 5,
      noCount: 1,
      badCount: 1,
      lintCount: events.filter((e) => e.type === 'lint').length,
      gapCount: 1,
      gapBytes: 4096,
    });
    expect(row.lintCount).toBeGreaterThan(0);
  });

  it('reaches the same row whatever the batches: a fold of deltas equals one fold', () => {
    const events = loggedSession();
    const whole = reduceSessionRow(events);
    for (const cut of [1, 3, 7, events.length - 1]) {
      const first = reduceSessionRow(events.slice(0, cut));
      expect(reduceSessionRow(events.slice(cut), first)).toEqual(whole);
    }
  });

  it('does not change the row it starts from', () => {
    const events = loggedSession();
    const start = reduceSessionRow(events.slice(0, 2));
    const copy = { ...start };
    reduceSessionRow(events.slice(2), start);
    expect(start).toEqual(copy);
  });

  it('starts a session in not-authenticated and keeps the first end when two are reported', () => {
    const row = newSessionRow('s2', 5);
    const [open] = loggedSession('s2');
    if (open) applySessionEvent(row, open);
    expect(row.state).toBe('not-authenticated');
    expect(row.events).toBe(1);
    const close = loggedSession('s2').at(-1);
    if (close?.type !== 'session.close') throw new Error('no close');
    applySessionEvent(row, close);
    applySessionEvent(row, { ...close, at: close.at + 99, reason: 'shutdown' });
    expect([row.endedAt, row.reason]).toEqual([close.at, 'closed']);
  });

  it('writes IPv6 hosts in brackets', () => {
    expect(formatEndpoint({ host: '::1', port: 143 })).toBe('[::1]:143');
    expect(formatEndpoint({ host: 'imap.example.com', port: 993 })).toBe('imap.example.com:993');
  });
});

describe('every keeper of session rows', () => {
  it('the registry and the archive keep the row the reducer gives, event by event or in one flush', () => {
    const events = loggedSession();
    const expected = reduceSessionRow(events);

    const registry = new SessionRegistry();
    for (const e of events) registry.write([e]);
    expect(registry.get('s1')).toEqual(expected);

    const dir = mkdtempSync(path.join(os.tmpdir(), 'imapscope-session-row-'));
    dirs.push(dir);
    const perEvent = new Archive(path.join(dir, 'a.sqlite'));
    for (const e of events) {
      perEvent.write([e]);
      perEvent.flush();
    }
    expect(getSession(perEvent.db, 's1')).toEqual(expected);
    void perEvent.close();

    const oneFlush = new Archive(path.join(dir, 'b.sqlite'));
    oneFlush.write(events);
    oneFlush.flush();
    expect(getSession(oneFlush.db, 's1')).toEqual(expected);
    void oneFlush.close();
  });
});
