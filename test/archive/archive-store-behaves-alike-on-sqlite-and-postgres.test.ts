/**
 * One suite for both archives (store.ts): the SQLite file and a real PostgreSQL (started by
 * the test under a temp dir). Every behaviour the UI, CLI, exports and imports rely on is
 * checked against each, through the ArchiveStore interface only.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Archive, type ArchiveOptions } from '../../proxy/archive/archive.ts';
import { PgArchive } from '../../proxy/archive/pg-archive.ts';
import { PG_MIGRATIONS } from '../../proxy/archive/pg-schema.ts';
import type { ArchiveStore } from '../../proxy/archive/store.ts';
import { renderExport, storeSource } from '../../proxy/export/index.ts';
import { Hub } from '../../proxy/hub/hub.ts';
import { LOGIN_SCRIPT, play } from '../hub/helpers.ts';
import { startPostgres, type Postgres } from '../helpers/postgres.ts';

/** Opens archives that share one store (one file, one database) per test. */
interface Backend {
  name: string;
  /** A fresh, empty shared store for this test. */
  fresh(): Promise<void>;
  open(opts?: ArchiveOptions): Promise<ArchiveStore>;
}

let server: Postgres | null = null;
const opened: ArchiveStore[] = [];
const dirs: string[] = [];

const sqlite: Backend = {
  name: 'SQLite',
  file: '',
  async fresh() {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'imapscope-store-'));
    dirs.push(dir);
    this.file = path.join(dir, 'archive.sqlite');
  },
  async open(opts = {}) {
    const a = new Archive(this.file, opts);
    opened.push(a);
    return a;
  },
} as Backend & { file: string };

let dbCount = 0;
const postgres: Backend = {
  name: 'PostgreSQL',
  url: '',
  async fresh() {
    this.url = await server!.createDatabase(`t${++dbCount}`);
  },
  async open(opts = {}) {
    const a = await PgArchive.open(this.url, opts);
    opened.push(a);
    return a;
  },
} as Backend & { url: string };

beforeAll(async () => {
  server = await startPostgres();
}, 60_000);
afterAll(async () => {
  await server?.stop();
});
afterEach(async () => {
  for (const a of opened.splice(0)) await a.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function feed(store: ArchiveStore): Hub {
  const hub = new Hub();
  hub.add(store);
  return hub;
}

describe.each([sqlite, postgres])('the archive on $name', (backend) => {
  it('stores sessions, events and masked raw bytes with the instance name, readable after settle', async () => {
    await backend.fresh();
    const store = await backend.open({ instance: 'node-a' });
    const hub = feed(store);
    play(hub, 's1', LOGIN_SCRIPT);
    await store.settle();
    const row = (await store.getSession('s1'))!;
    expect(row).toMatchObject({
      user: 'alice',
      state: 'logout',
      reason: 'closed',
      source: 'live',
      client: '127.0.0.1:50000',
      upstream: '127.0.0.1:143',
      instance: 'node-a',
    });
    const events = await store.sessionEvents('s1', 0, 1000);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events.length).toBe(row.events);
    expect(await store.sessionEvents('s1', 3, 2)).toEqual(events.slice(3, 5));
    expect(await store.sessionEvent('s1', 2)).toEqual(events[1]);
    expect(await store.maxGseq()).toBe(hub.lastGseq);
    const byGseq = await store.eventsByGseq(0, hub.lastGseq, 10_000);
    expect(byGseq.map((e) => e.gseq)).toEqual(events.map((e) => e.gseq));
    expect(await store.hasChunks('s1')).toBe(true);
    const raw: Buffer[] = [];
    for await (const c of store.sessionChunks('s1')) raw.push(c.data);
    const text = Buffer.concat(raw).toString();
    expect(text).toContain('a3 SELECT INBOX');
    expect(text).not.toContain('hunter');
    const transcript = Buffer.concat([
      ...renderExport((await storeSource(store, 's1'))!, 'transcript'),
    ]);
    expect(transcript.toString()).toContain('C: a1 LOGIN alice "******"');
    expect(transcript.toString()).not.toContain('secret');
  });

  it('filters the session list by user, client, state and text, newest first', async () => {
    await backend.fresh();
    const store = await backend.open();
    const hub = feed(store);
    const now = Date.now();
    play(hub, 's1', LOGIN_SCRIPT, now - 60_000);
    play(
      hub,
      's2',
      [
        ['s2c', '* OK hi\r\n'],
        ['c2s', 'b1 CAPABILITY\r\n'],
      ],
      now - 1_000,
      { keepOpen: true },
    );
    await store.settle();
    const ids = async (f: Parameters<ArchiveStore['listSessions']>[0]): Promise<string[]> =>
      (await store.listSessions(f)).map((s) => s.id);
    expect(await ids({})).toEqual(['s2', 's1']);
    // The whole user name, case-insensitively; a part of it is what `text` is for.
    expect(await ids({ user: 'ALICE' })).toEqual(['s1']);
    expect(await ids({ user: 'ALI' })).toEqual([]);
    expect(await ids({ text: 'CAPABILITY' })).toEqual(['s2']);
    expect(await ids({ state: 'logout' })).toEqual(['s1']);
    expect(await ids({ state: 'live' })).toEqual(['s2']);
    expect(await ids({ state: 'ended' })).toEqual(['s1']);
    expect(await ids({ from: now + 60_000 })).toEqual(['s2']);
    expect(await ids({ to: now - 30_000 })).toEqual(['s1']);
    expect(await ids({ client: '127.0.0.1' })).toEqual(['s2', 's1']);
    expect(await ids({ limit: 1 })).toEqual(['s2']);
    // Pages of any order, with the number matching in all.
    expect(await ids({ text: 'capab' })).toEqual(['s2']);
    const byUser = await store.querySessions({ sort: 'user', order: 'asc', offset: 1, limit: 1 });
    expect({ ids: byUser.sessions.map((s) => s.id), total: byUser.total }).toEqual({
      ids: ['s1'],
      total: 2,
    });
    const byEvents = await store.querySessions({ sort: 'events', order: 'desc' });
    expect(byEvents.sessions.map((s) => s.id)).toEqual(['s1', 's2']);
    const closed = (await store.getSession('s1'))!.reason!;
    expect((await store.querySessions({ reason: closed })).sessions.map((s) => s.id)).toEqual([
      's1',
    ]);
    expect((await store.querySessions({ reason: 'no-such-reason' })).total).toBe(0);
    expect((await store.querySessions({}, ['s1'])).sessions.map((s) => s.id)).toEqual(['s1']);
  });

  it('counts exchanges, NO, BAD and lints, and answers audit and latency questions', async () => {
    await backend.fresh();
    const store = await backend.open();
    const hub = feed(store);
    play(hub, 's1', [
      ['s2c', '* OK ready\r\n'],
      ['c2s', 'a0 LOGIN bob pw\r\n'],
      ['s2c', 'a0 OK in\r\n'],
      ['c2s', 'a1 FETCH 1\r\n'],
      ['s2c', 'a1 BAD not now\r\n'],
      ['c2s', 'a2 SELECT nowhere\r\n'],
      ['s2c', 'a2 NO no such mailbox\r\n'],
      ['c2s', 'a3 SELECT INBOX\r\n'],
      ['s2c', '* 1 EXISTS\r\na3 OK done\r\n'],
    ]);
    await store.settle();
    expect(await store.getSession('s1')).toMatchObject({
      exchangeCount: 4,
      noCount: 1,
      badCount: 1,
      user: 'bob',
    });
    const actions = await store.queryActions({ user: 'bob' });
    expect(actions.map((a) => a.kind)).toContain('login');
    expect(actions.every((a) => a.session === 's1')).toBe(true);
    expect(await store.queryActions({ user: 'nobody' })).toEqual([]);
    const stats = await store.commandStats({});
    const select = stats.find((s) => s.command === 'SELECT')!;
    expect(select).toMatchObject({ count: 2, ok: 1, no: 1, bad: 0 });
    const byUser = await store.commandStats({ by: 'user' });
    expect(byUser.find((s) => s.command === 'FETCH')).toMatchObject({ group: 'bob', bad: 1 });
  });

  it('closes its live sessions as interrupted after a crash (on PostgreSQL only its own instance’s)', async () => {
    await backend.fresh();
    const a = await backend.open({ instance: 'a' });
    const b = await backend.open({ instance: 'b' });
    play(feed(a), 'from-a', LOGIN_SCRIPT.slice(0, 4), 1_000, { keepOpen: true });
    play(feed(b), 'from-b', LOGIN_SCRIPT.slice(0, 4), 1_000, { keepOpen: true });
    await a.settle();
    await b.settle();
    // A restarted instance a: its own live session was cut off; b's is still live.
    const a2 = await backend.open({ instance: 'a' });
    // SQLite's file belongs to one process: every live session in it was cut off.
    expect(await a2.closeInterrupted()).toBe(backend === postgres ? 1 : 2);
    expect(await a2.getSession('from-a')).toMatchObject({ reason: 'interrupted' });
    if (backend === postgres) expect((await a2.getSession('from-b'))!.endedAt).toBeNull();
    expect(a2.reopenInterrupted('from-a')).toBe((await a2.sessionEvents('from-a', 0, 100)).length);
    await a2.settle();
    expect((await a2.getSession('from-a'))!.endedAt).toBeNull();
  });

  it('keeps each instance’s gseq apart in one store', async () => {
    await backend.fresh();
    const a = await backend.open({ instance: 'a' });
    const b = await backend.open({ instance: 'b' });
    const ha = feed(a);
    const hb = feed(b);
    play(ha, 'sa', LOGIN_SCRIPT);
    play(hb, 'sb', LOGIN_SCRIPT.slice(0, 4));
    await a.settle();
    await b.settle();
    expect(await a.maxGseq()).toBe(ha.lastGseq);
    if (backend === postgres) {
      // Shared: each reads the other's sessions, but the gseq stream is its own.
      expect(await b.maxGseq()).toBe(hb.lastGseq);
      expect((await a.listSessions()).map((s) => [s.id, s.instance]).sort()).toEqual([
        ['sa', 'a'],
        ['sb', 'b'],
      ]);
      const fromA = await a.eventsByGseq(0, 1e9, 10_000);
      expect(new Set(fromA.map((e) => e.session))).toEqual(new Set(['sa']));
    }
  });

  it('deletes ended sessions past the retention and never a live one, whichever instance has it', async () => {
    await backend.fresh();
    let now = Date.now();
    const a = await backend.open({ instance: 'a', retainDays: 1, now: () => now });
    const b = await backend.open({ instance: 'b' });
    play(feed(a), 'old', LOGIN_SCRIPT, now);
    play(feed(b), 'live-old', LOGIN_SCRIPT.slice(0, 4), now, { keepOpen: true });
    await a.settle();
    await b.settle();
    play(feed(a), 'new', LOGIN_SCRIPT.slice(0, 4), now, { keepOpen: true });
    await a.settle();
    now += 3 * 86_400_000;
    expect(await a.enforceRetention()).toBe(1);
    expect((await a.listSessions()).map((s) => s.id).sort()).toEqual(['live-old', 'new']);
    expect(await a.sessionEvents('old', 0, 10)).toEqual([]);
    expect(await a.hasChunks('old')).toBe(false);
  });

  it('deletes the oldest ended sessions past the size cap and keeps live ones', async () => {
    await backend.fresh();
    const writer = await backend.open({ instance: 'a' });
    const hub = feed(writer);
    const big = 'x'.repeat(20_000);
    for (let i = 0; i < 6; i++) {
      play(
        hub,
        `s${i}`,
        [
          ['s2c', '* OK ready\r\n'],
          ['c2s', `a1 NOOP ${big}\r\n`],
          ['s2c', 'a1 OK done\r\n'],
        ],
        10_000 + i * 1_000,
      );
    }
    play(hub, 'live', [['s2c', `* OK ${big}\r\n`]], 1_000, { keepOpen: true });
    await writer.settle();
    const used = await writer.archiveBytes();
    const capped = await backend.open({ instance: 'a', maxBytes: Math.floor(used / 2) });
    // Pruned at open and every ARCHIVE_RETENTION_INTERVAL_MS; once more changes nothing.
    await capped.enforceRetention();
    const left = (await capped.listSessions()).map((s) => s.id);
    expect(left).toContain('live');
    // SQLite's size counts pages, the search index's too (session_text, since the session list
    // search), which a DELETE does not shrink at once: there the cap may take every ended
    // session. PostgreSQL counts each session's stored bytes and stops at the cap.
    if (backend === postgres) expect(left).toContain('s5');
    expect(left).not.toContain('s0');
    expect(await capped.archiveBytes()).toBeLessThanOrEqual(Math.floor(used / 2));
  });

  it('marks imports and remembers their content hash while the session lives', async () => {
    await backend.fresh();
    const store = await backend.open();
    play(feed(store), 'imp', LOGIN_SCRIPT.slice(0, 4), 5_000, { keepOpen: true });
    await store.settle();
    await store.markImported('imp', 'import:jsonl:x.jsonl', 9_000);
    expect(await store.getSession('imp')).toMatchObject({
      source: 'import:jsonl:x.jsonl',
      endedAt: 9_000,
      reason: 'imported',
    });
    expect(await store.hasSession('imp')).toBe(true);
    expect(await store.hasSession('nope')).toBe(false);
    expect(await store.earlierImport('h1')).toBeNull();
    await store.recordImport('h1', 'imp', 'x.jsonl');
    expect(await store.earlierImport('h1')).toEqual({ session: 'imp', name: 'x.jsonl' });
    await store.recordImport('h2', 'gone', 'y.jsonl');
    expect(await store.earlierImport('h2')).toBeNull();
  });
});

describe('the PostgreSQL archive', () => {
  it('applies its migrations once when two instances start at the same moment', async () => {
    await postgres.fresh();
    const [a, b] = await Promise.all([
      postgres.open({ instance: 'a' }),
      postgres.open({ instance: 'b' }),
    ]);
    const rows = await (a as PgArchive).pool.query<{ version: number }>(
      `SELECT version FROM schema_migrations ORDER BY version`,
    );
    expect(rows.rows.map((r) => r.version)).toEqual(PG_MIGRATIONS.map((_, i) => i + 1));
    expect(b.kind).toBe('postgres');
  });

  it('refuses a database migrated by a newer imapscope', async () => {
    await postgres.fresh();
    const url = (postgres as Backend & { url: string }).url;
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query(
      `CREATE TABLE schema_migrations(version integer PRIMARY KEY, applied_at timestamptz)`,
    );
    await c.query(`INSERT INTO schema_migrations(version) VALUES (999)`);
    await c.end();
    await expect(PgArchive.open(url)).rejects.toMatchObject({ code: 'ERR_ARCHIVE_VERSION' });
  });

  it('counts a failed flush as lost and writes again once the database is back', async () => {
    await postgres.fresh();
    const store = (await postgres.open({ instance: 'a' })) as PgArchive;
    const url = (postgres as Backend & { url: string }).url;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`ALTER TABLE events RENAME TO events_away`);
    const hub = feed(store);
    play(hub, 'lost', LOGIN_SCRIPT);
    await store.settle();
    expect(store.stats.eventsDropped).toBeGreaterThan(0);
    await admin.query(`ALTER TABLE events_away RENAME TO events`);
    await admin.end();
    play(hub, 'kept', LOGIN_SCRIPT);
    await store.settle();
    expect((await store.getSession('kept'))!.events).toBeGreaterThan(0);
    // The lost session's row says how many of its events were lost.
    expect((await store.getSession('lost'))!.droppedEvents).toBeGreaterThan(0);
  });
});
