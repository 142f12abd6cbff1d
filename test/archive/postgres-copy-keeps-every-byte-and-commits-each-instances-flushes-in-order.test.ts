/**
 * The PostgreSQL archive writes by binary COPY (proxy/archive/pg-copy.ts), two flushes at a
 * time. Checked against a real PostgreSQL (started by the test): values that text formats
 * must escape come back exactly, bytea keeps every byte, text that PostgreSQL cannot hold
 * (NUL) is stored replaced rather than failing the flush, an event stored already is skipped
 * as SQLite's INSERT OR IGNORE does, and another instance following the gseq cursor sees every
 * event exactly once, in order, while flushes overlap.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgArchive } from '../../proxy/archive/pg-archive.ts';
import { PgFeed } from '../../proxy/archive/pg-feed.ts';
import {
  copyChunks,
  copyInto,
  CopyEncoder,
  type CopyTable,
  type CopyValue,
} from '../../proxy/archive/pg-copy.ts';
import { Hub } from '../../proxy/hub/hub.ts';
import type { ImapscopeEvent } from '../../shared/events.ts';
import { LOGIN_SCRIPT, play } from '../hub/helpers.ts';
import { startPostgres, type Postgres } from '../helpers/postgres.ts';

let server: Postgres;
let n = 0;
beforeAll(async () => {
  server = await startPostgres();
}, 60_000);
afterAll(async () => {
  await server?.stop();
});

const T: CopyTable = {
  table: 't',
  columns: [
    ['id', 'int4'],
    ['s', 'text'],
    ['big', 'int8'],
    ['b', 'bytea'],
  ],
};

/** Every byte value, twice, NUL first. */
const ALL_BYTES = Buffer.concat([Buffer.from([...Array(256).keys()]), Buffer.from([0, 255, 0])]);

const NASTY: string[] = [
  '',
  'back\\slash \\\\ \\N \\. \\x41 \\',
  'tab\there, newline\nthere, return\r\n',
  '\\.\n\\.',
  '\\N',
  '"quoted" \'single\' ,comma;semicolon',
  'émoji 📨 ünïcödé 日本語',
  'x'.repeat(3 * 1024 * 1024 + 7),
  '{"json":"with \\"escapes\\" and \\u0000 as text"}',
  '\u007f\u0001\u001f\u2028\u2029\ufeff',
];

async function table(): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: await server.createDatabase(`copy${++n}`) });
  await c.connect();
  await c.query(`CREATE TABLE t(id integer, s text, big bigint, b bytea)`);
  return c;
}

async function copy(c: pg.Client, rows: CopyValue[][]): Promise<void> {
  // copyInto takes a pool's client; a plain client answers the same calls.
  await copyInto(c as unknown as pg.PoolClient, T, copyChunks(T, rows));
}

describe('binary COPY (pg-copy.ts)', () => {
  it('writes the format PostgreSQL documents: header, field count, lengths, big-endian integers', () => {
    const [buf, ...rest] = copyChunks(T, [[1, 'é', -2, Buffer.from([0, 0xff])]]);
    expect(rest).toEqual([]);
    expect(buf!.toString('hex')).toBe(
      [
        '5047434f50590aff0d0a00', // PGCOPY\n\377\r\n\0
        '00000000', // flags
        '00000000', // header extension
        '0004', // four fields
        '00000004' + '00000001', // int4 1
        '00000002' + 'c3a9', // text é in UTF-8
        '00000008' + 'fffffffffffffffe', // int8 -2
        '00000002' + '00ff', // bytea
        'ffff', // trailer
      ].join(''),
    );
    expect(copyChunks(T, [])).toEqual([]);
  });

  it('refuses a value the column’s type cannot take, before anything is sent', () => {
    const e = new CopyEncoder(T);
    expect(() => e.row([1.5, 'a', 1, null])).toThrow(/t\.id \(int4\)/);
    expect(() => e.row([2 ** 31, 'a', 1, null])).toThrow(/int4/);
    expect(() => e.row([1, 'a', 2 ** 53, null])).toThrow(/t\.big \(int8\)/);
    expect(() => e.row([1, 2 as unknown as string, 1, null])).toThrow(/t\.s \(text\)/);
    expect(() => e.row([1, 'a', 1, 'bytes' as unknown as Buffer])).toThrow(/t\.b \(bytea\)/);
    expect(() => e.row([1, 'a'])).toThrow(/2 values for 4 columns/);
  });

  it('stores text that formats must escape exactly, bytea byte for byte, nulls as null', async () => {
    const c = await table();
    try {
      const rows: CopyValue[][] = NASTY.map((s, i) => [
        i,
        s,
        [0, -1, 2 ** 32, -(2 ** 53 - 1), 2 ** 53 - 1][i % 5]!,
        ALL_BYTES,
      ]);
      rows.push([100, null, null, null]);
      rows.push([101, 'big bytes', 7, Buffer.alloc(3 * 1024 * 1024 + 1, 0x5c)]);
      rows.push([2 ** 31 - 1, 'int4 max', -(2 ** 31), Buffer.alloc(0)]);
      await copy(c, rows);
      const r = await c.query<{
        id: number;
        s: string | null;
        big: string | null;
        b: Buffer | null;
      }>(`SELECT id, s, big, b FROM t ORDER BY id`);
      const got = r.rows.map((x) => [x.id, x.s, x.big === null ? null : Number(x.big), x.b]);
      const want = [...rows].sort((a, b) => (a[0] as number) - (b[0] as number));
      expect(got.length).toBe(want.length);
      // Value by value: a 3 MiB mismatch must not make a 3 MiB diff.
      for (const [i, row] of want.entries()) {
        for (const [k, v] of row.entries()) {
          const g = got[i]![k];
          const same = Buffer.isBuffer(v) ? Buffer.isBuffer(g) && v.equals(g) : g === v;
          expect(same, `row ${String(row[0])}, column ${k}: ${String(g).slice(0, 80)}`).toBe(true);
        }
      }
    } finally {
      await c.end();
    }
  });

  it('stores NUL in text and lone surrogates as U+FFFD instead of failing the whole COPY', async () => {
    const c = await table();
    try {
      await copy(c, [
        [1, 'a\u0000b\u0000', 1, null],
        [2, 'lone \ud800 high, lone \udc00 low', 2, null],
      ]);
      const r = await c.query<{ s: string }>(`SELECT s FROM t ORDER BY id`);
      expect(r.rows.map((x) => x.s)).toEqual([
        'a\ufffdb\ufffd',
        'lone \ufffd high, lone \ufffd low',
      ]);
    } finally {
      await c.end();
    }
  });
});

describe('the PostgreSQL archive’s writes', () => {
  it('keeps a session’s raw bytes, NUL and non-UTF-8 included, and its nasty lines', async () => {
    const store = await PgArchive.open(await server.createDatabase(`copy${++n}`), {
      instance: 'a',
    });
    try {
      const hub = new Hub();
      hub.add(store);
      const greeting = Buffer.concat([Buffer.from('* OK \\ \t'), ALL_BYTES, Buffer.from('\r\n')]);
      const script: ['c2s' | 's2c', string | Buffer][] = [
        ['s2c', greeting],
        ['c2s', 'a1 LOGIN "tab\\\\\tback" "pw"\r\n'],
        ['s2c', 'a1 OK done\r\n'],
        ['c2s', 'a2 LOGOUT\r\n'],
        ['s2c', '* BYE\r\na2 OK bye\r\n'],
      ];
      play(hub, 'nasty\\id\t1', script);
      await store.settle();
      expect(store.stats).toMatchObject({ eventsDropped: 0, chunksDropped: 0 });
      const chunks: Buffer[] = [];
      for await (const ch of store.sessionChunks('nasty\\id\t1'))
        if (ch.direction === 's2c') chunks.push(ch.data);
      expect(Buffer.concat(chunks).subarray(0, greeting.length)).toEqual(greeting);
      const row = await store.getSession('nasty\\id\t1');
      expect(row).toMatchObject({ user: 'tab\\\tback', reason: 'closed' });
      const events = await store.sessionEvents('nasty\\id\t1', 0, 100);
      expect(events.length).toBe(row!.events);
      expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    } finally {
      await store.close();
    }
  });

  it('skips an event stored already and writes the rest of its batch', async () => {
    const store = await PgArchive.open(await server.createDatabase(`copy${++n}`), {
      instance: 'a',
    });
    try {
      const capture: ImapscopeEvent[] = [];
      const hub = new Hub();
      hub.add({ name: 'capture', write: (es) => void capture.push(...es) });
      play(hub, 's', LOGIN_SCRIPT);
      const half = Math.floor(capture.length / 2);
      store.write(capture.slice(0, half));
      await store.settle();
      // The first half again with the second: the COPY fails on the first, the batch goes in
      // by INSERT … ON CONFLICT DO NOTHING.
      store.write(capture);
      await store.settle();
      expect(store.stats.eventsDropped).toBe(0);
      const stored = await store.sessionEvents('s', 0, 1000);
      expect(stored.map((e) => e.seq)).toEqual(capture.map((e) => e.seq));
    } finally {
      await store.close();
    }
  });

  it('lets another instance follow every event by gseq, in order, while flushes overlap', async () => {
    const url = await server.createDatabase(`copy${++n}`);
    const writer = await PgArchive.open(url, { instance: 'w' });
    const reader = await PgArchive.open(url, { instance: 'r' });
    const seen: number[] = [];
    const feed = new PgFeed(reader.pool, 'r', (es) => seen.push(...es.map((e) => e.gseq)));
    try {
      await writer.pool.query(
        `INSERT INTO instances(name, started_at, seen_at) VALUES ('w', 0, 0)`,
      );
      // Polled here only (start() would poll on its timer too, and twice is not once).
      const hub = new Hub();
      hub.add(writer);
      // Many small flushes, each handed over at once: two are in flight most of the time.
      let polling = true;
      const poller = (async () => {
        while (polling) await feed.poll();
      })();
      for (let i = 0; i < 60; i++) {
        play(hub, `s${i}`, LOGIN_SCRIPT, 1_000 + i);
        writer.flush();
        if (i % 10 === 0) await new Promise((r) => setImmediate(r));
      }
      await writer.settle();
      polling = false;
      await poller;
      while ((await feed.poll()) > 0);
      expect(writer.stats.flushes).toBeGreaterThanOrEqual(60);
      expect(seen).toEqual(Array.from({ length: hub.lastGseq }, (_, i) => i + 1));
    } finally {
      feed.stop();
      await reader.close();
      await writer.close();
    }
  });
});
