/**
 * One suite for both archives (store.ts): the SQLite file and a real PostgreSQL (started by
 * the test under a temp dir). Every behaviour the UI, CLI, exports and imports rely on is
 * checked against each, through the ArchiveStore interface only.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Archive, type ArchiveOptions } from '../../proxy/archive/archive.ts';
import { sessionMatches, sessionsMatching } from '../../proxy/archive/filter.ts';
import { checkLiteralBytes } from '../../proxy/archive/literal-bytes.ts';
import { PgArchive } from '../../proxy/archive/pg-archive.ts';
import { PG_MIGRATIONS } from '../../proxy/archive/pg-schema.ts';
import type { ArchiveStore } from '../../proxy/archive/store.ts';
import { renderExport, storeSource } from '../../proxy/export/index.ts';
import { Hub } from '../../proxy/hub/hub.ts';
import { importFile } from '../../proxy/import/index.ts';
import { parseFilter, type Filter } from '../../shared/filter.ts';
import { messageLiterals } from '../../shared/message-literals.ts';
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

function filter(text: string): Filter {
  const r = parseFilter(text);
  if (!r.ok) throw new Error(r.error.message);
  return r.filter;
}

/** A message body of `size` bytes that differs at every position a cut could be off by one. */
function body(size: number): Buffer {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = (i * 7 + (i >> 8)) % 251;
  b.write('Subject: whole\r\n\r\n', 0);
  return b;
}

async function collect(it: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const b of it) parts.push(b);
  return Buffer.concat(parts);
}

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

  it('finds the sessions holding a display-filter match, newest first, and their matching rows', async () => {
    await backend.fresh();
    const store = await backend.open({ instance: 'a' });
    const hub = feed(store);
    play(hub, 'ok-1', LOGIN_SCRIPT, 1_000);
    play(
      hub,
      'no-1',
      [
        ['s2c', '* OK ready\r\n'],
        ['c2s', 'b1 SELECT Archive\r\n'],
        ['s2c', 'b1 NO [NONEXISTENT] no such mailbox\r\n'],
        ['c2s', 'b2 UID MOVE 4711 Archive\r\n'],
        ['s2c', 'b2 NO [TRYCREATE] no\r\n'],
      ],
      2_000,
    );
    play(hub, 'ok-2', LOGIN_SCRIPT, 3_000);
    await store.settle();
    const found = async (f: string, limit = 10): Promise<[string, number][]> =>
      (await sessionsMatching(store, filter(f), { limit })).map((x) => [x.session.id, x.matches]);
    expect(await found('status:NO')).toEqual([['no-1', 2]]);
    expect(await found('cmd:SELECT')).toEqual([
      ['ok-2', 1],
      ['no-1', 1],
      ['ok-1', 1],
    ]);
    expect(await found('cmd:SELECT', 2)).toEqual([
      ['ok-2', 1],
      ['no-1', 1],
    ]);
    expect(await found('status:BAD')).toEqual([]);
    const rows = await sessionMatches(store, 'no-1', filter('mailbox:archive'));
    expect(rows.map((r) => r.command?.tag)).toEqual(['b1', 'b2']);
  });

  it("cuts a whole literal's body out of the archived raw bytes, across chunks", async () => {
    await backend.fresh();
    const store = await backend.open();
    const message = body(300_000);
    const reply = Buffer.concat([
      Buffer.from(`* 1 FETCH (UID 7 BODY[] {${message.length}}\r\n`),
      message,
      Buffer.from(')\r\na4 OK done\r\n'),
    ]);
    // The reply arrives in pieces that split the literal at odd places.
    const pieces: ['s2c', Buffer][] = [];
    for (let at = 0; at < reply.length; at += 65_537)
      pieces.push(['s2c', reply.subarray(at, at + 65_537)]);
    play(feed(store), 'lit', [...LOGIN_SCRIPT, ['c2s', 'a4 UID FETCH 7 BODY[]\r\n'], ...pieces]);
    await store.settle();
    const events = await store.sessionEvents('lit', 0, 10_000);
    const fetch = events.find(
      (e) => e.type === 'message' && messageLiterals(e.message).some((l) => l.size > 1000),
    );
    if (fetch?.type !== 'message') throw new Error('no FETCH with a literal');
    const lit = messageLiterals(fetch.message)[0]!;
    expect(lit.size).toBe(message.length);
    expect(await checkLiteralBytes(store, 'lit', 's2c', lit)).toBeNull();
    const whole = await collect(store.streamRange('lit', 's2c', lit.offset, lit.offset + lit.size));
    expect(whole.equals(message)).toBe(true);
    const part = await collect(
      store.streamRange('lit', 's2c', lit.offset + 65_000, lit.offset + 140_000),
    );
    expect(part.equals(message.subarray(65_000, 140_000))).toBe(true);
    // Past what the archive holds: the bytes there are, and the check says they are short.
    const beyond = { ...lit, size: lit.size + reply.length };
    expect(await checkLiteralBytes(store, 'lit', 's2c', beyond)).toMatchObject({
      code: 'ERR_LITERAL_NOT_ARCHIVED',
    });
  });

  it('finds a session by the decoded header fields of a fetched header block', async () => {
    await backend.fresh();
    const store = await backend.open();
    const header =
      'Subject: =?UTF-8?Q?Rechnung_f=C3=BCr_M=C3=A4rz?=\r\n' +
      'From: Carol Example <carol@example.org>\r\n' +
      'X-Mailer: Frobnicator 9\r\n\r\n';
    const size = Buffer.byteLength(header);
    play(feed(store), 'hdr', [
      ...LOGIN_SCRIPT,
      ['c2s', 'a4 FETCH 1 (BODY.PEEK[HEADER])\r\n'],
      ['s2c', `* 1 FETCH (BODY[HEADER] {${size}}\r\n${header})\r\na4 OK done\r\n`],
    ]);
    play(feed(store), 'other', LOGIN_SCRIPT, 5_000);
    await store.settle();
    const ids = async (text: string): Promise<string[]> =>
      (await store.listSessions({ text })).map((s) => s.id);
    // Decoded from RFC 2047, in any case; the From address; never a field nobody searches.
    expect(await ids('rechnung für märz')).toEqual(['hdr']);
    expect(await ids('carol@example.org')).toEqual(['hdr']);
    expect(await ids('Frobnicator')).toEqual([]);
    // Relayed lines, as before: in both sessions.
    expect((await ids('select inbox')).sort()).toEqual(['hdr', 'other']);
    // LIKE's wildcards are plain characters.
    expect(await ids('car%ample')).toEqual([]);
  });

  it('imports a transcript as a new session once, raw bytes and all', async () => {
    await backend.fresh();
    const store = await backend.open({ instance: 'a' });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'imapscope-store-import-'));
    dirs.push(dir);
    const file = path.join(dir, 'talk.txt');
    writeFileSync(
      file,
      '2025-06-01T12:00:00.000Z S: * OK ready\n2025-06-01T12:00:00.100Z C: a1 NOOP\n' +
        '2025-06-01T12:00:00.150Z S: a1 OK fine\n2025-06-01T12:00:00.200Z C: a2 LOGOUT\n' +
        '2025-06-01T12:00:00.241Z S: a2 OK bye\n',
    );
    const r = await importFile(store, file);
    expect(r.kind).toBe('transcript');
    expect(await store.getSession(r.session)).toMatchObject({
      source: 'import:transcript:talk.txt',
      startedAt: Date.parse('2025-06-01T12:00:00.000Z'),
      endedAt: Date.parse('2025-06-01T12:00:00.241Z'),
      exchangeCount: 2,
    });
    const events = await store.sessionEvents(r.session, 0, 1000);
    expect(events.length).toBe(r.events);
    expect(events.every((e) => e.gseq === 0)).toBe(true);
    const raw = await collect(
      (async function* () {
        for await (const c of store.sessionChunks(r.session)) yield c.data;
      })(),
    );
    expect(raw.toString()).toContain('a1 NOOP');
    await expect(importFile(store, file)).rejects.toMatchObject({
      code: 'ERR_IMPORT_DUPLICATE',
      message: `${file} was already imported as session ${r.session} (from talk.txt)`,
    });
    expect((await store.listSessions()).map((s) => s.id)).toEqual([r.session]);
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

  it('indexes the search text with pg_trgm, and fills it from the lines of sessions archived before', async () => {
    await postgres.fresh();
    const url = (postgres as Backend & { url: string }).url;
    const first = await postgres.open();
    play(feed(first), 'old', [...LOGIN_SCRIPT, ['c2s', 'a9 XYZZY plugh\r\n']]);
    await first.close();
    // As a database from before migration 4 was: no search text.
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`DROP TABLE session_text`);
    await admin.query(`DELETE FROM schema_migrations WHERE version = 4`);
    const store = await postgres.open();
    expect((await store.listSessions({ text: 'xyzzy PLUGH' })).map((s) => s.id)).toEqual(['old']);
    const index = await admin.query(
      `SELECT indexdef FROM pg_indexes WHERE indexname = 'session_text_trgm'`,
    );
    await admin.end();
    expect(index.rows[0]?.indexdef).toContain('gin_trgm_ops');
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
