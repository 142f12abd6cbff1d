/**
 * A full disk, for real: the archive lives on a 1 MiB tmpfs that a filler file then fills to
 * the last page. Mounting needs root: the test machines run as root; elsewhere it asks
 * password-less sudo (what .ci/run itself uses to install packages).
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, rmdirSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Archive } from '../../proxy/archive/archive.ts';
import { RawFiles, readSpans } from '../../proxy/archive/raw-files.ts';
import { openArchiveDb } from '../../proxy/archive/schema.ts';
import type { WriteFaultReport, WriteRecoveryReport } from '../../proxy/archive/write-faults.ts';
import { Hub } from '../../proxy/hub/hub.ts';
import { WARN_INTERVAL_MS } from '../../proxy/limits.ts';
import { Capture, LOGIN_SCRIPT, play } from '../hub/helpers.ts';

/** Runs a mount command as root: directly when we are root, else through `sudo -n`. */
function asRoot(cmd: string, args: string[]): void {
  if (process.getuid?.() === 0) execFileSync(cmd, args);
  else execFileSync('sudo', ['-n', cmd, ...args]);
}

let dir = '';
let archive: Archive | null = null;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'imapscope-full-'));
  asRoot('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir]);
});
afterAll(async () => {
  await archive?.close();
  asRoot('umount', [dir]);
  rmdirSync(dir);
});

/** Writes a file until the file system refuses another byte. */
function fill(file: string): void {
  const fd = openSync(file, 'w');
  const block = Buffer.alloc(64 * 1024, 1);
  try {
    for (let size = block.length; size >= 1;) {
      try {
        writeSync(fd, block, 0, size);
      } catch {
        size = Math.floor(size / 2);
      }
    }
  } finally {
    closeSync(fd);
  }
}

describe('the archive on a full disk', () => {
  it('warns once per interval with counts, counts every dropped event, and resumes when space returns', () => {
    let now = 1_000_000;
    const warnings: WriteFaultReport[] = [];
    const recoveries: WriteRecoveryReport[] = [];
    const a = (archive = new Archive(path.join(dir, 'archive.sqlite'), {
      now: () => now,
      onError: (_err, report) => warnings.push(report),
      onRecover: (report) => recoveries.push(report),
    }));
    const hub = new Hub();
    const all = new Capture();
    hub.add(all);
    hub.add(a);
    play(hub, 'before', LOGIN_SCRIPT);
    a.flush();
    expect(a.stats.eventsDropped).toBe(0);

    const filler = path.join(dir, 'filler');
    fill(filler);
    const published = all.events.length;
    // Ten seconds of sessions, each flushed (the archive's timer flushes 4 times a second).
    for (let i = 0; i < 10; i++) {
      play(hub, `lost-${i}`, LOGIN_SCRIPT);
      a.flush();
      now += 1_000;
    }
    const lost = all.events.length - published;
    expect(lost).toBeGreaterThan(100);
    expect(a.stats.eventsDropped).toBe(lost);
    // One warning for the first failure, nothing more within the interval.
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.failures).toBeGreaterThanOrEqual(1);

    now += WARN_INTERVAL_MS;
    play(hub, 'lost-late', LOGIN_SCRIPT);
    a.flush();
    expect(warnings).toHaveLength(2);
    // The second warning counts what was lost since the first one.
    const sum = (k: 'eventsDropped' | 'chunksDropped'): number =>
      warnings.reduce((n, w) => n + w[k], 0);
    expect(sum('eventsDropped')).toBe(a.stats.eventsDropped);
    expect(sum('chunksDropped')).toBe(a.stats.chunksDropped);

    rmSync(filler);
    play(hub, 'after', LOGIN_SCRIPT);
    a.flush();
    expect(recoveries).toHaveLength(1);
    expect(recoveries[0]).toMatchObject({
      eventsDropped: a.stats.eventsDropped,
      chunksDropped: a.stats.chunksDropped,
    });
    expect(recoveries[0]!.outageMs).toBeGreaterThanOrEqual(10_000 + WARN_INTERVAL_MS);
    const row = (id: string): { events: number; dropped: number } | undefined =>
      a.db.prepare('SELECT events, dropped FROM sessions WHERE id = ?').get(id) as
        { events: number; dropped: number } | undefined;
    expect(row('after')!.events).toBe(all.events.filter((e) => e.session === 'after').length);
    // A session whose events were all lost still has its row, saying how many it lost.
    expect(row('lost-3')).toEqual({
      events: 0,
      dropped: all.events.filter((e) => e.session === 'lost-3').length,
    });
  });

  it('loses only the raw bytes of the writes that failed; later writes go on and read back', () => {
    const db = openArchiveDb(path.join(dir, 'raw.sqlite'));
    const raw = new RawFiles(db);
    try {
      const before = Buffer.from('A1 NOOP\r\n');
      const a = raw.append([before]);
      raw.sync();
      const filler = path.join(dir, 'filler-raw');
      fill(filler);
      const lost = raw.append([Buffer.alloc(64 * 1024, 0x4c)]);
      raw.sync();
      rmSync(filler);
      const after = Buffer.from('A2 OK done\r\n');
      const b = raw.append([after]);
      raw.sync();
      expect(raw.failure(a.first, a.last)).toBeNull();
      expect((raw.failure(lost.first, lost.last) as NodeJS.ErrnoException | null)?.code).toBe(
        'ENOSPC',
      );
      expect(raw.failure(b.first, b.last)).toBeNull();
      const back = [
        ...readSpans(db, 's', [
          { ...a, length: before.length },
          { ...b, length: after.length },
        ]),
      ];
      expect(back.map((c) => c.data.toString())).toEqual([before.toString(), after.toString()]);
    } finally {
      raw.close();
      db.close();
    }
  });
});
