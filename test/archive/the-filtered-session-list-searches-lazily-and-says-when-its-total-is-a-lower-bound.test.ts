/**
 * The display filter's session list on a large archive (issue 13): searched in the page's own
 * order only as far as the page needs, SQL ruling sessions out first, the total a lower bound
 * until the list was searched to its end. On real archives (SQLite and PostgreSQL) of generated
 * sessions, compared with a plain scan of every session.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Archive } from '../../proxy/archive/archive.ts';
import { filteredSessionPage, scanSessions } from '../../proxy/archive/filter.ts';
import { sessionCondition } from '../../proxy/archive/filter-prefilter.ts';
import { PgArchive } from '../../proxy/archive/pg-archive.ts';
import type { ArchiveStore } from '../../proxy/archive/store.ts';
import { Hub } from '../../proxy/hub/hub.ts';
import type { SessionFilter } from '../../shared/protocol.ts';
import { startPostgres, type Postgres } from '../helpers/postgres.ts';
import { FILTERS, filter, plainScan, playSessions, randomFilters } from './filtered-sessions.ts';

const SESSIONS = 80;

let server: Postgres | null = null;
const dirs: string[] = [];
const stores: Record<string, ArchiveStore> = {};

beforeAll(async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'imapscope-filter-scan-'));
  dirs.push(dir);
  server = await startPostgres();
  stores.SQLite = new Archive(path.join(dir, 'archive.sqlite'));
  stores.PostgreSQL = await PgArchive.open(await server.createDatabase('scan'));
  for (const store of Object.values(stores)) {
    const hub = new Hub();
    hub.add(store);
    playSessions(hub, SESSIONS);
    await store.settle();
  }
}, 120_000);

afterAll(async () => {
  for (const s of Object.values(stores)) await s.close();
  await server?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const ids = (rows: { session: { id: string }; matches: number }[]): string[] =>
  rows.map((m) => `${m.session.id}:${m.matches}`);

describe.each(['SQLite', 'PostgreSQL'])('the display filter over the archive on %s', (name) => {
  const store = (): ArchiveStore => stores[name]!;

  it('finds exactly the sessions a plain scan of every session finds, for every field and random combinations', async () => {
    const texts = [...FILTERS, ...randomFilters(30)];
    let matched = 0;
    for (const text of texts) {
      const f = filter(text);
      const want = await plainScan(store(), f);
      const scan = await scanSessions(store(), f, { want: Infinity, countRows: true });
      expect({ text, found: ids(scan.found) }).toEqual({ text, found: want });
      expect(scan).toMatchObject({ complete: true, searched: SESSIONS, listed: SESSIONS });
      if (want.length > 0) matched++;
    }
    // The generated sessions exercise the filters: most find something, not everything.
    expect(matched).toBeGreaterThan(texts.length / 2);
  });

  it('never lets SQL rule out a session holding a match', async () => {
    for (const text of [...FILTERS, ...randomFilters(30, 11)]) {
      const f = filter(text);
      const condition = sessionCondition(f);
      if (condition === null) continue;
      const holding = (await plainScan(store(), f)).map((x) => x.split(':')[0]!);
      const all = (await store().querySessions({ limit: 5000 })).sessions.map((r) => r.id);
      const kept = new Set(await store().narrowSessions(all, condition));
      expect({ text, lost: holding.filter((id) => !kept.has(id)) }).toEqual({ text, lost: [] });
    }
  });

  it('rules out sessions by SQL: a filter on a command no session sent reads no session', async () => {
    const f = filter('cmd:NOSUCH');
    let reads = 0;
    const reader = {
      querySessions: store().querySessions.bind(store()),
      narrowSessions: store().narrowSessions.bind(store()),
      sessionEvents: (id: string, after: number, limit: number) => {
        reads++;
        return store().sessionEvents(id, after, limit);
      },
    };
    const page = await filteredSessionPage(reader, { limit: 10 }, f);
    expect(page).toMatchObject({ sessions: [], total: 0, exact: true, searched: SESSIONS });
    expect(reads).toBe(0);
  });

  it.each<[string, SessionFilter]>([
    ['newest first', {}],
    ['sorted by bytes, ascending', { sort: 'bytes', order: 'asc' }],
    ["one user's sessions, by NO count", { user: 'USER3', sort: 'no', order: 'desc' }],
  ])(
    'pages through the matches %s: every one exactly once, in order, the total exact on the last page',
    async (_, query) => {
      for (const text of ['status:NO', 'cmd:MOVE OR latency>3ms', '-cmd:FETCH']) {
        const f = filter(text);
        const want = (await plainScan(store(), f, query)).map((x) => x.split(':')[0]);
        const seen: string[] = [];
        for (let offset = 0; ; offset += 7) {
          const page = await filteredSessionPage(store(), { ...query, offset, limit: 7 }, f);
          seen.push(...page.sessions.map((r) => r.id));
          if (offset + 7 < want.length) {
            // More matches than this page and the ones before: one past the page was found,
            // a lower bound unless it was the list's last session.
            expect(page.total).toBe(offset + 8);
            if (page.exact) expect(page.total).toBe(want.length);
            expect(page.sessions).toHaveLength(7);
          } else {
            expect(page).toMatchObject({ total: want.length, exact: true });
            break;
          }
        }
        expect({ text, seen }).toEqual({ text, seen: want });
      }
    },
  );

  it('stops at its budget with what it found among the sessions searched, and says how far it got', async () => {
    const f = filter('status:NO');
    const firstForty = (await store().querySessions({ limit: 40 })).sessions.map((r) => r.id);
    const want = (await plainScan(store(), f))
      .map((x) => x.split(':')[0]!)
      .filter((id) => firstForty.includes(id));
    const page = await filteredSessionPage(store(), { limit: 100 }, f, { sessions: 40 });
    expect(page).toMatchObject({ total: want.length, exact: false, searched: 40 });
    expect(page.listed).toBe(SESSIONS);
    expect(page.sessions.map((r) => r.id)).toEqual(want);
  });
});
