import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Archive } from '../../proxy/archive/archive.ts';
import { rawDir } from '../../proxy/archive/raw-files.ts';
import { RAW_DIRECT_WRITE_BYTES } from '../../proxy/limits.ts';
import {
  getSession,
  listSessions,
  maxGseq,
  sessionChunks,
  sessionEvents,
} from '../../proxy/archive/read.ts';
import { Hub } from '../../proxy/hub/hub.ts';
import { SessionRegistry } from '../../proxy/hub/registry.ts';
import { archiveSource, renderExport } from '../../proxy/export/index.ts';
import { tsharkImapRequests } from '../helpers/tshark.ts';
import { LOGIN_SCRIPT, play } from '../hub/helpers.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function hubLints(archive: Archive, session: string): number {
  return sessionEvents(archive.db, session, 0, 1000).filter((e) => e.type === 'lint').length;
}
function archiveIn(opts: ConstructorParameters<typeof Archive>[1] = {}): Archive {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'imapscope-archive-'));
  dirs.push(dir);
  return new Archive(path.join(dir, 'archive.sqlite'), opts);
}

describe('the archive', () => {
  it('stores sessions, events and masked raw bytes, readable after a flush', () => {
    const archive = archiveIn();
    const hub = new Hub();
    hub.add(archive);
    play(hub, 's1', LOGIN_SCRIPT);
    archive.flush();
    const row = getSession(archive.db, 's1')!;
    expect(row).toMatchObject({ user: 'alice', state: 'logout', reason: 'closed', source: 'live' });
    expect(row.client).toBe('127.0.0.1:50000');
    const events = sessionEvents(archive.db, 's1', 0, 1000);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events.length).toBe(row.events);
    expect(maxGseq(archive.db)).toBe(hub.lastGseq);
    const transcript = Buffer.concat([
      ...renderExport(archiveSource(archive.db, 's1')!, 'transcript'),
    ]);
    expect(transcript.toString()).toContain('C: a1 LOGIN alice "******"');
    expect(transcript.toString()).not.toContain('hunter');
  });

  it('counts exchanges, NO and BAD completions and lints per session, in the archive and the registry alike', () => {
    const archive = archiveIn();
    const registry = new SessionRegistry();
    const hub = new Hub();
    hub.add(archive);
    hub.add(registry);
    play(hub, 's1', [
      ['s2c', '* OK ready\r\n'],
      ['c2s', 'a1 FETCH 1\r\n'],
      ['s2c', 'a1 BAD not now\r\n'],
      ['c2s', 'a2 SELECT nowhere\r\n'],
      ['s2c', 'a2 NO no such mailbox\r\n'],
      ['c2s', 'a3 NOOP\r\n'],
      ['s2c', 'a3 OK done\r\n'],
    ]);
    archive.flush();
    const lints = hubLints(archive, 's1');
    expect(lints).toBeGreaterThanOrEqual(2); // the BAD and the NO are each explained
    const counts = { exchangeCount: 3, noCount: 1, badCount: 1, lintCount: lints };
    expect(getSession(archive.db, 's1')).toMatchObject(counts);
    expect(registry.get('s1')).toMatchObject(counts);
  });

  it('filters the session list by user, client, state and text', () => {
    const archive = archiveIn();
    const hub = new Hub();
    hub.add(archive);
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
      {
        keepOpen: true,
      },
    );
    archive.flush();
    const ids = (f: Parameters<typeof listSessions>[1]): string[] =>
      listSessions(archive.db, f).map((s) => s.id);
    expect(ids({})).toEqual(['s2', 's1']);
    expect(ids({ user: 'ALICE' })).toEqual(['s1']); // the whole user, case-insensitively
    expect(ids({ user: 'ALI' })).toEqual([]); // a part of a name is for `text`
    expect(ids({ text: 'ALI' })).toEqual(['s1']);
    expect(ids({ text: 'CAPABILITY' })).toEqual(['s2']);
    expect(ids({ state: 'logout' })).toEqual(['s1']);
    expect(ids({ state: 'live' })).toEqual(['s2']);
    expect(ids({ from: now + 60_000 })).toEqual(['s2']);
    expect(ids({ to: now - 30_000 })).toEqual(['s1']);
    expect(ids({ client: '127.0.0.1' })).toEqual(['s2', 's1']);
  });

  it('deletes ended sessions past --retain-days and keeps the rest', async () => {
    let now = Date.now();
    const first = archiveIn({ retainDays: 1, now: () => now });
    const file = first.db.name;
    const hub1 = new Hub();
    hub1.add(first);
    play(hub1, 'old', LOGIN_SCRIPT, now);
    await first.close();
    // A restart starts a new raw segment file: 'old' has the first to itself.
    const archive = new Archive(file, { retainDays: 1, now: () => now });
    const hub = new Hub();
    hub.add(archive);
    play(hub, 'new', LOGIN_SCRIPT, now, { keepOpen: true });
    archive.flush();
    const segments = (): string[] => readdirSync(rawDir(archive.db)).sort();
    expect(segments()).toEqual(['seg-1.raw', 'seg-2.raw']);
    expect([...sessionChunks(archive.db, 'old')].length).toBeGreaterThan(0);
    now += 2 * 86_400_000;
    expect(archive.prune()).toBe(1);
    expect(listSessions(archive.db).map((s) => s.id)).toEqual(['new']);
    expect(sessionEvents(archive.db, 'old', 0, 10)).toEqual([]);
    expect([...sessionChunks(archive.db, 'old')]).toEqual([]);
    // The segment no span points into any more is gone; the live session's bytes stay readable.
    expect(segments()).toEqual(['seg-2.raw']);
    const kept = [...sessionChunks(archive.db, 'new')];
    expect(
      Buffer.concat(kept.filter((c) => c.direction === 'c2s').map((c) => c.data)).toString(),
    ).toContain('LOGIN');
    await archive.close();
  });

  it('moves a long-lived session out of segments it would pin, keeping its bytes in order', async () => {
    let now = Date.now();
    const opts = { retainDays: 1, now: () => now };
    const first = archiveIn(opts);
    const file = first.db.name;
    await first.close();
    // One session stays open across restarts (each restart starts a new segment) while short
    // sessions come and go beside it; its bytes end up spread over three segments.
    const long = new Hub();
    let archive = new Archive(file, opts);
    long.add(archive);
    const chunks = ['* OK ready\r\n', '* 1 EXISTS\r\n', '* 2 EXISTS\r\n'];
    const sent: string[] = [];
    for (let round = 0; round < 3; round++) {
      const hub = new Hub();
      hub.add(archive);
      play(hub, `short${round}`, LOGIN_SCRIPT, now);
      const text = chunks[round]!;
      long.raw([
        {
          session: 'long',
          direction: 's2c',
          at: now,
          data: Buffer.from(text),
        },
      ]);
      sent.push(text);
      await archive.close();
      archive = new Archive(file, opts);
      long.add(archive);
    }
    const before = readdirSync(rawDir(archive.db)).sort();
    expect(before).toEqual(['seg-1.raw', 'seg-2.raw', 'seg-3.raw']);
    // The short sessions go; each old segment is then mostly dead and gets compacted.
    now += 2 * 86_400_000;
    expect(archive.prune()).toBe(3);
    const after = readdirSync(rawDir(archive.db)).sort();
    expect(after.length).toBe(1);
    expect(before).not.toContain(after[0]);
    expect([...sessionChunks(archive.db, 'long')].map((c) => c.data.toString())).toEqual(sent);
    await archive.close();
  });

  it('deletes the oldest ended sessions while bigger than --max-archive-mb', () => {
    const archive = archiveIn({ maxBytes: 200 * 1024 });
    const hub = new Hub();
    hub.add(archive);
    const body = 'y'.repeat(50_000);
    for (let i = 0; i < 10; i++) {
      play(
        hub,
        `s${i}`,
        [
          ['s2c', '* OK hi\r\n'],
          ['s2c', `* 1 FETCH (BODY[] {${body.length}}\r\n${body})\r\n`],
        ],
        1_000 + i,
      );
    }
    archive.prune();
    expect(archive.usedBytes()).toBeLessThanOrEqual(200 * 1024);
    const left = listSessions(archive.db).map((s) => s.id);
    expect(left.length).toBeGreaterThan(0);
    expect(left[0]).toBe('s9');
  });

  it('writes raw batches of many sessions together at the flush, and a full slot at once in the background', async () => {
    const archive = archiveIn();
    const segment = (): number =>
      readdirSync(rawDir(archive.db))
        .filter((f) => f.startsWith('seg-'))
        .reduce((a, f) => a + statSync(path.join(rawDir(archive.db), f)).size, 0);
    const at = Date.now();
    const sent = new Map<string, string[]>();
    for (let i = 0; i < 200; i++) {
      const session = `s${i % 20}`;
      const text = `A${i} NOOP\r\n`;
      archive.raw([{ session, direction: 'c2s', at, data: Buffer.from(text) }]);
      sent.set(session, [...(sent.get(session) ?? []), text]);
    }
    // Copied for the writer thread: nothing written yet, nothing readable yet either (no span
    // is committed).
    expect(segment()).toBe(0);
    expect(sessionChunks(archive.db, 's0').next().done).toBe(true);
    // More than a slot holds (RAW_DIRECT_WRITE_BYTES and a block).
    const big = Buffer.alloc(RAW_DIRECT_WRITE_BYTES + 4096, 0x41);
    archive.raw([{ session: 's0', direction: 's2c', at, data: big }]);
    // A full slot goes to the disk without waiting for the flush: its whole blocks, with the
    // staged lines before them, are written in the background.
    const staged = [...sent.values()].flat().join('').length;
    await vi.waitFor(() => expect(segment()).toBeGreaterThanOrEqual(RAW_DIRECT_WRITE_BYTES));
    archive.raw([{ session: 's1', direction: 's2c', at, data: Buffer.from('* OK\r\n') }]);
    archive.flush();
    expect(segment()).toBe(staged + big.length + '* OK\r\n'.length);
    sent.get('s0')!.push(big.toString());
    sent.get('s1')!.push('* OK\r\n');
    for (const [session, texts] of sent) {
      expect([...sessionChunks(archive.db, session)].map((c) => c.data.toString())).toEqual(texts);
    }
  });

  it('gives every event a gseq that goes on after a reopen', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'imapscope-archive-'));
    dirs.push(dir);
    const file = path.join(dir, 'a.sqlite');
    let a = new Archive(file);
    let hub = new Hub();
    hub.add(a);
    play(hub, 's1', LOGIN_SCRIPT);
    const last = hub.lastGseq;
    a.flush();
    a.db.close();
    a = new Archive(file);
    hub = new Hub();
    hub.seed(maxGseq(a.db));
    hub.add(a);
    play(hub, 's2', LOGIN_SCRIPT);
    a.flush();
    expect(sessionEvents(a.db, 's2', 0, 1)[0]!.gseq).toBe(last + 1);
  });
});

describe('the pcapng export', () => {
  it('is read by tshark as IMAP requests with their tags and commands', () => {
    const archive = archiveIn();
    const hub = new Hub();
    hub.add(archive);
    play(hub, 's1', LOGIN_SCRIPT);
    archive.flush();
    const file = path.join(dirs[0]!, 's1.pcapng');
    writeFileSync(
      file,
      Buffer.concat([...renderExport(archiveSource(archive.db, 's1')!, 'pcapng')]),
    );
    const rows = tsharkImapRequests(file);
    expect(rows).toContainEqual(['a1', 'LOGIN']);
    expect(rows).toContainEqual(['a3', 'SELECT']);
    expect(rows).toContainEqual(['a4', 'LOGOUT']);
    const analysis = execFileSync('tshark', ['-r', file, '-Y', 'tcp.analysis.flags'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    expect(analysis.trim()).toBe('');
  });
});
