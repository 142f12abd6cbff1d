import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Archive } from '../../proxy/archive/archive.ts';
import { getSession, querySessions } from '../../proxy/archive/read.ts';
import { Hub } from '../../proxy/hub/hub.ts';
import { createSessionInspector } from '../../proxy/inspection/pipeline.ts';
import { SessionRegistry } from '../../proxy/hub/registry.ts';
import { play } from '../hub/helpers.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setup(): { archive: Archive; registry: SessionRegistry; hub: Hub } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'imapscope-list-'));
  dirs.push(dir);
  const archive = new Archive(path.join(dir, 'archive.sqlite'));
  const registry = new SessionRegistry();
  const hub = new Hub();
  hub.add(archive);
  hub.add(registry);
  return { archive, registry, hub };
}

/** A login/select/logout session by `user`, started at `at`. */
function login(hub: Hub, id: string, user: string, at: number, mailbox = 'INBOX'): void {
  play(
    hub,
    id,
    [
      ['s2c', '* OK ready\r\n'],
      ['c2s', `a1 LOGIN ${user} secret\r\n`],
      ['s2c', 'a1 OK logged in\r\n'],
      ['c2s', `a2 SELECT ${mailbox}\r\n`],
      ['s2c', '* 3 EXISTS\r\na2 OK [READ-WRITE] done\r\n'],
      ['c2s', 'a3 LOGOUT\r\n'],
      ['s2c', '* BYE bye\r\na3 OK done\r\n'],
    ],
    at,
  );
}

describe('the session list over the whole archive', () => {
  it('pages newest first with the true total, and sorts by a column either way', () => {
    const { archive, hub } = setup();
    for (let i = 0; i < 25; i++)
      login(hub, `s${String(i).padStart(2, '0')}`, `user${i % 5}`, 1_000 * (i + 1));
    archive.flush();
    const first = querySessions(archive.db, { limit: 10 });
    expect(first.total).toBe(25);
    expect(first.sessions.map((r) => r.id)).toEqual(
      Array.from({ length: 10 }, (_, i) => `s${24 - i}`),
    );
    const third = querySessions(archive.db, { limit: 10, offset: 20 });
    expect(third.sessions.map((r) => r.id)).toEqual(['s04', 's03', 's02', 's01', 's00']);
    expect(third.total).toBe(25);
    const byUser = querySessions(archive.db, { sort: 'user', order: 'asc', limit: 6 });
    // user0 sessions first, newest first among equals, then user1.
    expect(byUser.sessions.map((r) => r.user)).toEqual([
      'user0',
      'user0',
      'user0',
      'user0',
      'user0',
      'user1',
    ]);
    expect(byUser.sessions[0]!.id).toBe('s20');
    const oldest = querySessions(archive.db, { sort: 'started', order: 'asc', limit: 1 });
    expect(oldest.sessions[0]!.id).toBe('s00');
    const filtered = querySessions(archive.db, { user: 'USER3', limit: 2 });
    expect(filtered.total).toBe(5);
    expect(filtered.sessions.map((r) => r.id)).toEqual(['s23', 's18']);
  });

  it('pages a search with its true total on every page, past the end too, and breaks start-time ties newest id first', () => {
    const { archive, hub } = setup();
    // Pairs of sessions that start in the same millisecond: the id breaks the tie.
    for (let i = 0; i < 12; i++)
      login(
        hub,
        `t${String(i).padStart(2, '0')}`,
        i % 3 === 0 ? 'carol' : 'dave',
        1_000 * (i >> 1),
      );
    archive.flush();
    const ids = (f: Parameters<typeof querySessions>[1]): string[] =>
      querySessions(archive.db, f).sessions.map((r) => r.id);
    expect(ids({ limit: 4 })).toEqual(['t11', 't10', 't09', 't08']);
    expect(ids({ order: 'asc', limit: 4 })).toEqual(['t01', 't00', 't03', 't02']);
    expect(ids({ limit: 4, offset: 8 })).toEqual(['t03', 't02', 't01', 't00']);
    // 'carol' is in the traffic (LOGIN) of t00, t03, t06 and t09.
    const search = { text: 'caro', limit: 3 };
    expect(querySessions(archive.db, search)).toMatchObject({ total: 4 });
    expect(ids(search)).toEqual(['t09', 't06', 't03']);
    expect(querySessions(archive.db, { ...search, offset: 3 })).toMatchObject({ total: 4 });
    expect(ids({ ...search, offset: 3 })).toEqual(['t00']);
    expect(querySessions(archive.db, { ...search, offset: 10 })).toEqual({
      sessions: [],
      total: 4,
    });
    expect(querySessions(archive.db, { text: 'nobody-here' })).toEqual({ sessions: [], total: 0 });
    expect(querySessions(archive.db, { user: 'carol', offset: 4 })).toEqual({
      sessions: [],
      total: 4,
    });
    expect(ids({ user: 'dave', limit: 3, offset: 6 })).toEqual(['t02', 't01']);
    // Sorted by another column, with a search: user, then newest first.
    expect(ids({ text: 'LOGIN', sort: 'user', order: 'asc', limit: 5 })).toEqual([
      't09',
      't06',
      't03',
      't00',
      't11',
    ]);
  });

  it('searches case-insensitively through commands, responses, mailbox names and decoded literal headers', () => {
    const { archive, hub } = setup();
    login(hub, 'plain', 'alice', 1_000);
    login(hub, 'other', 'bob', 2_000, '"&AMQ-rger"'); // modified UTF-7 for "Ärger"
    const subject = '=?UTF-8?B?' + Buffer.from('Rechnung für März').toString('base64') + '?=';
    const header = `Subject: ${subject}\r\nMessage-ID: <m1@example.org>\r\n\r\n`;
    play(
      hub,
      'fetcher',
      [
        ['s2c', '* OK ready\r\n'],
        ['c2s', 'a1 LOGIN carol secret\r\n'],
        ['s2c', 'a1 OK logged in\r\n'],
        ['c2s', 'a2 SELECT Archive\r\n'],
        ['s2c', 'a2 OK [READ-WRITE] done\r\n'],
        ['c2s', 'a3 UID FETCH 4711 (BODY.PEEK[HEADER])\r\n'],
        [
          's2c',
          `* 1 FETCH (UID 4711 BODY[HEADER] {${Buffer.byteLength(header)}}\r\n${header})\r\n`,
        ],
        ['s2c', 'a3 OK done\r\n'],
      ],
      3_000,
    );
    archive.flush();
    const ids = (text: string): string[] =>
      querySessions(archive.db, { text })
        .sessions.map((r) => r.id)
        .sort();
    expect(ids('rechnung FÜR')).toEqual(['fetcher']); // a decoded RFC 2047 subject
    expect(ids('m1@EXAMPLE')).toEqual(['fetcher']);
    expect(ids('uid fetch 4711')).toEqual(['fetcher']); // a command
    expect(ids('read-write')).toEqual(['fetcher', 'other', 'plain']); // a response
    expect(ids('ärger')).toEqual(['other']); // a mailbox name, decoded from modified UTF-7
    expect(ids('BOB')).toEqual(['other']); // the user column
    expect(ids('ALICE')).toEqual(['plain']); // the user, through the index
    expect(ids('ot')).toEqual(['other']); // short: the columns (here the id) only
    expect(ids('a3')).toEqual([]); // short: not the traffic
    expect(ids('no such thing')).toEqual([]);
    // The password was masked before it was archived, so it is not searchable either.
    expect(ids('secret')).toEqual([]);
  });

  it('keeps the client ID name and version and filters by end reason, in the archive and the registry alike', () => {
    const { archive, registry, hub } = setup();
    play(
      hub,
      'with-id',
      [
        ['s2c', '* OK ready\r\n'],
        ['c2s', 'a1 ID ("name" "Thunderbird" "version" "128.3.1")\r\n'],
        ['s2c', '* ID ("name" "Dovecot")\r\na1 OK done\r\n'],
      ],
      1_000,
    );
    login(hub, 'without', 'dave', 2_000);
    archive.flush();
    expect(getSession(archive.db, 'with-id')).toMatchObject({
      clientName: 'Thunderbird',
      clientVersion: '128.3.1',
    });
    expect(registry.get('with-id')).toMatchObject({ clientName: 'Thunderbird' });
    expect(getSession(archive.db, 'without')!.clientName).toBeNull();
    for (const page of [
      querySessions(archive.db, { text: 'thunderbird' }),
      registry.query({ text: 'thunderbird' }),
    ]) {
      expect(page.sessions.map((r) => r.id)).toEqual(['with-id']);
    }
    for (const page of [
      querySessions(archive.db, { sort: 'clientName', order: 'desc' }),
      registry.query({ sort: 'clientName', order: 'desc' }),
    ]) {
      expect(page.sessions.map((r) => r.id)).toEqual(['with-id', 'without']);
    }
    expect(querySessions(archive.db, { reason: 'closed' }).total).toBe(2);
    expect(querySessions(archive.db, { reason: 'client-reset' }).total).toBe(0);
    expect(registry.query({ reason: 'closed', limit: 1 })).toMatchObject({ total: 2 });
  });

  it('sorts by inspection gaps (best-effort sessions that lost bytes first), in the archive and the registry alike', () => {
    const { archive, registry, hub } = setup();
    login(hub, 'clean', 'erin', 1_000);
    // A best-effort session whose inspection fell behind twice: two gaps before its LOGOUT.
    const gappy = createSessionInspector(
      {
        id: 'gappy',
        client: { host: '127.0.0.1', port: 50001 },
        upstream: { host: '127.0.0.1', port: 143 },
        startedAt: 2_000,
      },
      { hub },
    );
    gappy.chunks([{ direction: 's2c', data: Buffer.from('* OK ready\r\n'), at: 2_001 }]);
    gappy.gap('s2c', 3, 4_096, 2_002);
    gappy.gap('c2s', 1, 20, 2_003);
    gappy.chunks([{ direction: 'c2s', data: Buffer.from('a9 LOGOUT\r\n'), at: 2_004 }]);
    gappy.close();
    gappy.closed({ bytes: { c2s: 32, s2c: 4_108 }, reason: 'closed', durationMs: 4 });
    login(hub, 'also-clean', 'fay', 3_000);
    archive.flush();
    for (const page of [
      querySessions(archive.db, { sort: 'gaps', order: 'desc' }),
      registry.query({ sort: 'gaps', order: 'desc' }),
    ]) {
      expect(page.sessions.map((r) => [r.id, r.gapCount])).toEqual([
        ['gappy', 2],
        ['also-clean', 0],
        ['clean', 0],
      ]);
    }
    for (const page of [
      querySessions(archive.db, { sort: 'gaps', order: 'asc' }),
      registry.query({ sort: 'gaps', order: 'asc' }),
    ]) {
      expect(page.sessions.map((r) => r.id)).toEqual(['also-clean', 'clean', 'gappy']);
    }
  });

  it('forgets a pruned session’s search text with the session', () => {
    const { archive, hub } = setup();
    login(hub, 'old', 'erin', 1_000, 'Zebra');
    archive.flush();
    expect(querySessions(archive.db, { text: 'zebra' }).total).toBe(1);
    const pruning = new Archive(path.join(dirs[0]!, 'archive.sqlite'), {
      retainDays: 1,
      now: () => Date.now() + 10 * 86_400_000,
    });
    expect(querySessions(pruning.db, { text: 'zebra' }).total).toBe(0);
    expect(pruning.db.prepare(`SELECT count(*) AS n FROM search_rows`).get()).toEqual({ n: 0 });
    void pruning.close();
  });
});
