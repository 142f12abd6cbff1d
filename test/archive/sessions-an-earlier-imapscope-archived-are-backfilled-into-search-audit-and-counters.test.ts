import { execFile, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import type { Database as Db } from 'better-sqlite3';
import { pino } from 'pino';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { queryActions } from '../../proxy/archive/actions.ts';
import { Archive } from '../../proxy/archive/archive.ts';
import { Backfill } from '../../proxy/archive/backfill.ts';
import { PgArchive } from '../../proxy/archive/pg-archive.ts';
import { querySessions } from '../../proxy/archive/read.ts';
import type { ArchiveStore } from '../../proxy/archive/store.ts';
import { Hub } from '../../proxy/hub/hub.ts';
import { startHubServices } from '../../proxy/inspection/services.ts';
import { startUiServer } from '../../proxy/ui/http.ts';
import { play } from '../hub/helpers.ts';
import { runSubcommand } from '../helpers/imapscope.ts';
import { startPostgres, type Postgres } from '../helpers/postgres.ts';

const BIN = fileURLToPath(new URL('../../proxy/imapscope.mjs', import.meta.url));

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'imapscope-backfill-'));
  dirs.push(dir);
  return dir;
}

const header =
  'Subject: =?UTF-8?Q?Quarterly_r=C3=A9port?=\r\nFrom: Bob <bob@example.org>\r\n' +
  'Message-ID: <q1@example.org>\r\n\r\n';
const appended = 'Subject: lunch plans\r\nFrom: carol@example.org\r\n\r\nnoon?\r\n';

/**
 * What the search, the audit trail and the counters are about: a client ID, a decoded mailbox
 * name, a header literal with an encoded Subject, flags, a move, a NO, a BAD, an APPEND.
 */
function busySession(hub: Hub, id: string, user: string, at: number): void {
  play(
    hub,
    id,
    [
      ['s2c', '* OK ready\r\n'],
      ['c2s', 'a0 ID ("name" "Thunderbird" "version" "115.3")\r\n'],
      ['s2c', '* ID NIL\r\na0 OK id done\r\n'],
      ['c2s', `a1 LOGIN ${user} secret\r\n`],
      ['s2c', 'a1 OK logged in\r\n'],
      ['c2s', 'a2 CREATE Archiv&AOk-\r\n'],
      ['s2c', 'a2 OK created\r\n'],
      ['c2s', 'a3 SELECT INBOX\r\n'],
      ['s2c', '* 2 EXISTS\r\n* OK [UIDVALIDITY 1] ok\r\na3 OK [READ-WRITE] done\r\n'],
      ['c2s', 'a4 UID FETCH 7 (UID BODY.PEEK[HEADER.FIELDS (SUBJECT FROM MESSAGE-ID)])\r\n'],
      [
        's2c',
        `* 1 FETCH (UID 7 BODY[HEADER.FIELDS (SUBJECT FROM MESSAGE-ID)] {${header.length}}\r\n` +
          `${header})\r\na4 OK done\r\n`,
      ],
      ['c2s', 'a5 UID STORE 7 +FLAGS (\\Seen)\r\n'],
      ['s2c', '* 1 FETCH (UID 7 FLAGS (\\Seen))\r\na5 OK done\r\n'],
      ['c2s', 'a6 UID MOVE 7 Archiv&AOk-\r\n'],
      ['s2c', '* 1 EXPUNGE\r\na6 OK moved\r\n'],
      ['c2s', 'a7 SELECT Nowhere\r\n'],
      ['s2c', 'a7 NO no such mailbox\r\n'],
      ['c2s', 'a8 FROBNICATE\r\n'],
      ['s2c', 'a8 BAD unknown command\r\n'],
      ['c2s', `a9 APPEND INBOX {${appended.length}}\r\n`],
      ['s2c', '+ go ahead\r\n'],
      ['c2s', `${appended}\r\n`],
      ['s2c', 'a9 OK [APPENDUID 1 9] appended\r\n'],
      ['c2s', 'b1 LOGOUT\r\n'],
      ['s2c', '* BYE bye\r\nb1 OK done\r\n'],
    ],
    at,
  );
}

function quickSession(hub: Hub, id: string, user: string, at: number, keepOpen = false): void {
  play(
    hub,
    id,
    [
      ['s2c', '* OK ready\r\n'],
      ['c2s', `a1 LOGIN ${user} secret\r\n`],
      ['s2c', 'a1 OK logged in\r\n'],
      ['c2s', `a2 SELECT Projects/${user}\r\n`],
      ['s2c', '* 3 EXISTS\r\na2 OK [READ-WRITE] done\r\n'],
      ['c2s', 'a3 LOGOUT\r\n'],
      ['s2c', '* BYE bye\r\na3 OK done\r\n'],
    ],
    at,
    { keepOpen },
  );
}

/** Busy sessions, quick ones and one left live (22 in all), into `archive`. */
function writeSessions(archive: ArchiveStore): void {
  const hub = new Hub();
  hub.add(archive);
  for (let i = 0; i < 6; i++) busySession(hub, `busy-${i}`, `user${i % 3}`, 10_000 * (i + 1));
  for (let i = 0; i < 15; i++) quickSession(hub, `quick-${i}`, `q${i % 4}`, 100_000 + 1_000 * i);
  quickSession(hub, 'cut-off', 'dave', 200_000, true);
}

/** An archive written live by this imapscope: busy, quick and one interrupted session. */
function writeLiveArchive(): string {
  const dir = tempDir();
  const archive = new Archive(path.join(dir, 'archive.sqlite'));
  writeSessions(archive);
  archive.flush();
  // As the next start finds a session the killed process left live.
  archive.closeInterruptedNow();
  void archive.close();
  return dir;
}

/**
 * A copy of the archive in `dir` as an imapscope from before the search text, the audit trail,
 * the newer counters and the `derived` column wrote it: those tables and columns gone.
 */
function asWrittenEarlier(dir: string): string {
  const old = tempDir();
  cpSync(dir, old, { recursive: true });
  const db = new Database(path.join(old, 'archive.sqlite'));
  db.exec(`
    DROP TABLE actions; DROP TABLE session_text; DROP TABLE search_rows;
    DROP INDEX sessions_derived;
    ALTER TABLE sessions DROP COLUMN derived;
    ALTER TABLE sessions DROP COLUMN exchanges; ALTER TABLE sessions DROP COLUMN nos;
    ALTER TABLE sessions DROP COLUMN bads; ALTER TABLE sessions DROP COLUMN lints;
    ALTER TABLE sessions DROP COLUMN client_name; ALTER TABLE sessions DROP COLUMN client_version;
  `);
  db.close();
  return old;
}

const SEARCHES = [
  'Quarterly réport', // a decoded Subject of a header literal
  'bob@example.org',
  'q1@example.org',
  'Archiv&AOk-', // a mailbox name as sent
  'lunch plans', // an APPEND's literal
  'LINT_COMPLETION_NO',
  'dave', // the interrupted session's user
  'Projects/q2',
  'Thunderbird',
  'FROBNICATE',
];

/** What the list, its search and the audit trail answer. */
function answers(db: Db): unknown {
  return {
    sessions: querySessions(db, { limit: 500 }).sessions,
    actions: queryActions(db, { limit: 1000 }),
    searches: Object.fromEntries(
      SEARCHES.map((t) => [t, querySessions(db, { text: t }).sessions.map((s) => s.id)]),
    ),
  };
}

function answersOf(dir: string): unknown {
  const db = new Database(path.join(dir, 'archive.sqlite'), { readonly: true });
  try {
    return answers(db);
  } finally {
    db.close();
  }
}

/** Opens the archive in `dir` and backfills it to the end; returns the report. */
async function backfill(dir: string, batchEvents?: number) {
  const archive = new Archive(path.join(dir, 'archive.sqlite'));
  try {
    return await Backfill.start(archive, { pause: 0, ...(batchEvents ? { batchEvents } : {}) })
      .finished;
  } finally {
    await archive.close();
  }
}

/**
 * Runs `imapscope backfill` (with `args`) in batches of 7 events and SIGKILLs it once `batches`
 * of them have committed (the command holds there, test only).
 */
async function killBackfillAfter(batches: number, args: string[]): Promise<void> {
  const child = spawn(process.execPath, [BIN, 'backfill', ...args], {
    env: {
      ...process.env,
      IMAPSCOPE_TEST_BACKFILL_BATCH_EVENTS: '7',
      IMAPSCOPE_TEST_BACKFILL_HOLD_AFTER_BATCHES: String(batches),
    },
  });
  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (stderr.includes(`holding after ${batches} batches`)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
  });
  expect(stderr).toContain('backfilling search and audit for 22 sessions…');
  const exited = new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  child.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');
}

describe('sessions archived by an earlier imapscope', () => {
  it('answer search, audit and the counters exactly as sessions archived live, once backfilled', async () => {
    const live = writeLiveArchive();
    const expected = answersOf(live) as {
      actions: unknown[];
      searches: Record<string, string[]>;
      sessions: { exchangeCount: number; clientName: string | null }[];
    };
    // The comparison means something: every search finds, every kind of row is there.
    for (const t of SEARCHES) expect(expected.searches[t], t).not.toEqual([]);
    expect(expected.actions.length).toBeGreaterThan(50);
    expect(expected.sessions.filter((s) => s.clientName === 'Thunderbird')).toHaveLength(6);

    const old = asWrittenEarlier(live);
    // Opened by this imapscope, before the backfill: the old sessions are invisible.
    const opened = new Archive(path.join(old, 'archive.sqlite'));
    expect(querySessions(opened.db, { text: 'Quarterly' }).sessions).toEqual([]);
    expect(queryActions(opened.db, {})).toEqual([]);
    expect(querySessions(opened.db, {}).sessions.every((s) => s.exchangeCount === 0)).toBe(true);
    expect(await opened.underivedSessions()).toBe(22);
    await opened.close();

    // Batches of 7 events: sessions are cut across batches and batches span sessions.
    const report = await backfill(old, 7);
    expect(report).toMatchObject({ sessions: 22, done: 22, complete: true });
    expect(answersOf(old)).toEqual(expected);
  });

  it('does no work on the next open, nor on an archive written live', async () => {
    const live = writeLiveArchive();
    const old = asWrittenEarlier(live);
    await backfill(old);
    const again = await backfill(old);
    expect(again).toMatchObject({ sessions: 0, done: 0, events: 0, complete: true });
    expect(await backfill(live)).toMatchObject({ sessions: 0, events: 0 });
  });

  it('are backfilled offline by imapscope backfill, which says how many, and nothing the second time; imapscope audit says they are missing until then', async () => {
    const live = writeLiveArchive();
    const old = asWrittenEarlier(live);
    // Asked before, the audit trail says why it has nothing.
    const before = await promisify(execFile)(
      process.execPath,
      [BIN, 'audit', '--data', old, '--format', 'jsonl'],
      { encoding: 'utf8' },
    );
    expect(before).toEqual({
      stdout: '',
      stderr:
        'imapscope: 22 sessions archived by an earlier imapscope are not in the audit trail ' +
        'yet: imapscope backfill (or starting imapscope) derives them\n',
    });
    const first = await runSubcommand(old, 'backfill');
    expect(first).toMatch(/^22 sessions backfilled \(\d+ events\) in \d+\.\d s\n$/);
    expect(answersOf(old)).toEqual(answersOf(live));
    expect(await runSubcommand(old, 'backfill')).toBe('nothing to backfill\n');
    const after = await promisify(execFile)(process.execPath, [BIN, 'audit', '--data', old], {
      encoding: 'utf8',
    });
    expect(after.stderr).toBe('');
  });

  it('leave nothing behind when retention deletes them in the middle of their backfill', async () => {
    const old = asWrittenEarlier(writeLiveArchive());
    let now = 0;
    const archive = new Archive(path.join(old, 'archive.sqlite'), {
      retainDays: 1,
      pruneOnOpen: false,
      now: () => now,
    });
    try {
      const count = (table: string): number =>
        Number(archive.db.prepare(`SELECT count(*) FROM ${table}`).pluck().get());
      const r = await Backfill.start(archive, {
        pause: 0,
        batchEvents: 7,
        // After the first batch, a session is half derived: then every session expires.
        afterBatch: (n) => {
          if (n !== 1) return;
          expect(count('search_rows')).toBeGreaterThan(0);
          now = Date.now() + 2 * 86_400_000;
          expect(archive.prune()).toBe(22);
        },
      }).finished;
      expect(r.complete).toBe(true);
      for (const table of ['sessions', 'events', 'actions', 'search_rows']) {
        expect(count(table), table).toBe(0);
      }
    } finally {
      await archive.close();
    }
  });

  it('starts by itself when imapscope opens the archive, logging its start, and its end with count and time', async () => {
    const old = asWrittenEarlier(writeLiveArchive());
    const run = async (): Promise<Record<string, unknown>[]> => {
      const lines: Record<string, unknown>[] = [];
      const sink = new Writable({
        write(chunk: Buffer, _enc, done) {
          for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l));
          done();
        },
      });
      const hub = new Hub();
      const ctx = await startHubServices(hub, pino({ level: 'info' }, sink), {
        dataDir: old,
        retainDays: 0,
        maxArchiveMb: 100,
        noViewer: true,
      });
      await (ctx.backfill as Backfill).finished;
      await hub.close();
      return lines;
    };
    const first = await run();
    const started = first.find((l) => String(l.msg).startsWith('backfilling search and audit'));
    expect(started).toMatchObject({ sessions: 22 });
    expect(started!.msg).toBe('backfilling search and audit for 22 sessions…');
    const done = first.find((l) => String(l.msg).startsWith('backfill done'));
    expect(done).toMatchObject({ sessions: 22, ms: expect.any(Number) });
    const second = await run();
    expect(second.filter((l) => String(l.msg).includes('backfill'))).toEqual([]);
  });

  it('show the backfill in GET /api/status while it runs, and not once it is done', async () => {
    const live = writeLiveArchive();
    const old = asWrittenEarlier(live);
    const hub = new Hub();
    const ctx = await startHubServices(hub, pino({ level: 'silent' }), {
      dataDir: live,
      retainDays: 0,
      maxArchiveMb: 100,
      noViewer: true,
    });
    const token = 'status-token-123456';
    const ui = await startUiServer({ host: '127.0.0.1', port: 0 }, { token, log: pino() }, ctx);
    const status = async (): Promise<Record<string, unknown>> =>
      (await (
        await fetch(`http://127.0.0.1:${ui.address.port}/api/status`, {
          headers: { authorization: `Bearer ${token}` },
        })
      ).json()) as Record<string, unknown>;
    const archive = new Archive(path.join(old, 'archive.sqlite'));
    try {
      let reached!: () => void;
      const atSecond = new Promise<void>((r) => (reached = r));
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      // This archive's own backfill (of the live archive) has nothing to do; ours is held after
      // its second batch of 7 events.
      const backfill = Backfill.start(archive, {
        pause: 0,
        batchEvents: 7,
        afterBatch: (n) => {
          if (n !== 2) return;
          reached();
          return held;
        },
      });
      ctx.backfill = backfill;
      await atSecond;
      expect((await status()).backfill).toEqual({ sessions: 22, done: 0, events: 14 });
      release();
      await backfill.finished;
      expect(await status()).not.toHaveProperty('backfill');
    } finally {
      ui.server.closeAllConnections();
      await new Promise((r) => ui.server.close(r));
      await hub.close();
      await archive.close();
    }
  });

  it('are completed by the next open after a kill in the middle of the backfill', async () => {
    const live = writeLiveArchive();
    const expected = answersOf(live);
    const old = asWrittenEarlier(live);
    await killBackfillAfter(3, ['--data', old]);
    // What the kill left: 21 events read (newest session first), and a session cut off in the
    // middle: not marked derived, with the actions of its first events committed.
    const left = new Archive(path.join(old, 'archive.sqlite'));
    const cut = left.db
      .prepare(
        `SELECT id, (SELECT count(*) FROM events e WHERE e.session = s.id) AS events
         FROM sessions s WHERE derived = 0 AND id IN (SELECT session FROM actions)`,
      )
      .all() as { id: string; events: number }[];
    expect(cut).toHaveLength(1);
    expect(cut[0]!.events).toBeGreaterThan(21);
    // The highest id first: real ids sort by start time, so the newest sessions come first.
    expect(cut[0]!.id).toBe(left.db.prepare(`SELECT max(id) FROM sessions`).pluck().get());
    expect(await left.underivedSessions()).toBe(22);
    await left.close();

    const report = await backfill(old);
    expect(report).toMatchObject({ sessions: 22, done: 22, complete: true });
    expect(answersOf(old)).toEqual(expected);
  });
});

describe('sessions an earlier imapscope archived in PostgreSQL', () => {
  let server: Postgres | null = null;
  beforeAll(async () => {
    server = await startPostgres();
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });

  let dbCount = 0;
  /** A database written live by this imapscope (the same sessions as on SQLite). */
  async function liveDatabase(): Promise<string> {
    const url = await server!.createDatabase(`backfill${++dbCount}`);
    const archive = await PgArchive.open(url);
    writeSessions(archive);
    await archive.settle();
    await archive.closeInterrupted();
    await archive.close();
    return url;
  }

  /**
   * The database as an imapscope from before migration 3 left it (no client ID columns, no
   * search text, no `derived`), with its audit trail and counters gone too, as if derived by an
   * older audit trail: every derivation must come from the backfill.
   */
  async function asMigratedEarlier(live: string): Promise<string> {
    // A copy of the same database (same times, same ids), made by the server.
    const name = `backfill${++dbCount}`;
    const admin = new pg.Client({ connectionString: server!.url });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${name}" TEMPLATE "${new URL(live).pathname.slice(1)}"`);
    await admin.end();
    const url = live.replace(/\/[^/]+$/, `/${name}`);
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query(`
      DROP TABLE session_text; DROP INDEX sessions_user; DROP INDEX sessions_derived;
      ALTER TABLE sessions DROP COLUMN client_name, DROP COLUMN client_version,
        DROP COLUMN derived;
      UPDATE sessions SET exchanges = 0, nos = 0, bads = 0, lints = 0;
      DELETE FROM actions;
      DELETE FROM schema_migrations WHERE version >= 3;
    `);
    await c.end();
    return url;
  }

  async function pgAnswers(url: string): Promise<unknown> {
    const a = await PgArchive.open(url);
    try {
      return {
        sessions: (await a.querySessions({ limit: 500 })).sessions,
        actions: await a.queryActions({ limit: 1000 }),
        searches: Object.fromEntries(
          await Promise.all(
            SEARCHES.map(async (t) => [
              t,
              (await a.querySessions({ text: t })).sessions.map((s) => s.id),
            ]),
          ),
        ),
      };
    } finally {
      await a.close();
    }
  }

  it('answer search, audit and the counters exactly as sessions archived live, once two instances have backfilled them together', async () => {
    const live = await liveDatabase();
    const expected = await pgAnswers(live);
    const old = await asMigratedEarlier(live);
    const [a, b] = await Promise.all([PgArchive.open(old), PgArchive.open(old)]);
    try {
      expect((await a.querySessions({ text: 'Quarterly' })).sessions).toEqual([]);
      expect(await a.underivedSessions()).toBe(22);
      const [ra, rb] = await Promise.all([
        Backfill.start(a, { pause: 0, batchEvents: 7 }).finished,
        Backfill.start(b, { pause: 0, batchEvents: 7 }).finished,
      ]);
      // Each session was derived by one of them, once.
      expect(ra.done + rb.done).toBe(22);
      expect(await a.underivedSessions()).toBe(0);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
    expect(await pgAnswers(old)).toEqual(expected);
    // The next open has nothing to do.
    const again = await PgArchive.open(old);
    try {
      expect(await Backfill.start(again, { pause: 0 }).finished).toMatchObject({
        sessions: 0,
        events: 0,
        complete: true,
      });
    } finally {
      await again.close();
    }
  });

  it('are completed by the next open after a kill in the middle of the backfill', async () => {
    const live = await liveDatabase();
    const expected = await pgAnswers(live);
    const old = await asMigratedEarlier(live);
    await killBackfillAfter(2, ['--archive', old, '--data', tempDir()]);
    const left = await PgArchive.open(old);
    try {
      // Whole sessions per batch: the first two batches finished some, not all.
      const underived = await left.underivedSessions();
      expect(underived).toBeGreaterThan(0);
      expect(underived).toBeLessThan(22);
      expect(await Backfill.start(left, { pause: 0 }).finished).toMatchObject({
        sessions: underived,
        complete: true,
      });
    } finally {
      await left.close();
    }
    expect(await pgAnswers(old)).toEqual(expected);
  });
});
