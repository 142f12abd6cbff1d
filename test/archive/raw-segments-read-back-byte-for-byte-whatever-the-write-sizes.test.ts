/**
 * The raw archive's segment files (archive/raw-files.ts), written with O_DIRECT where the file
 * system takes it and through the page cache otherwise: whatever mix of staged batches and
 * appends of whatever sizes, each batch reads back byte for byte as soon as it is written (the
 * archive commits its span right after), and the segment holds exactly the bytes appended.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, constants, mkdtempSync, openSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  RawFiles,
  readSpans,
  segmentFile,
  type RawAppend,
  type RawPlace,
} from '../../proxy/archive/raw-files.ts';
import { openArchiveDb } from '../../proxy/archive/schema.ts';
import { RAW_DIRECT_WRITE_BYTES } from '../../proxy/limits.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function dbIn(): ReturnType<typeof openArchiveDb> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'imapscope-raw-'));
  dirs.push(dir);
  return openArchiveDb(path.join(dir, 'archive.sqlite'));
}

/** Whether the file system under the temporary folder takes O_DIRECT. */
function directWorksHere(): boolean {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'imapscope-raw-probe-'));
  dirs.push(dir);
  try {
    const fd = openSync(
      path.join(dir, 'f'),
      constants.O_WRONLY | constants.O_CREAT | constants.O_DIRECT,
    );
    closeSync(fd);
    return true;
  } catch {
    return false;
  }
}

/** A deterministic mix of sizes: single bytes, lines, block edges, stagefuls, bulk reads. */
function sizes(stageBytes: number): number[] {
  const edges = [
    ...[1, 2, 13, 4095, 4096, 4097, 8191, 8192, 65_536, stageBytes / 4, stageBytes / 4 + 1],
    ...[RAW_DIRECT_WRITE_BYTES - 1, RAW_DIRECT_WRITE_BYTES + 4097, 2 * RAW_DIRECT_WRITE_BYTES],
  ];
  const out: number[] = [];
  let x = 7;
  for (let i = 0; i < 120; i++) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    out.push(i % 3 === 0 ? edges[i % edges.length]! : 1 + (x % (3 * stageBytes)));
  }
  return out;
}

describe.each([
  { mode: 'direct where possible', direct: true },
  { mode: 'buffered', direct: false },
])('raw segment files, $mode', ({ direct }) => {
  it('read back every batch byte for byte as soon as it is written, and hold exactly those bytes', () => {
    const db = dbIn();
    // Small slots and few of them: batches cross slots, and slots are reused while written.
    const raw = new RawFiles(db, { direct, slotBytes: 64 * 1024, slots: 2 });
    const written: { place: RawPlace; data: Buffer }[] = [];
    let staged: { place: RawAppend; data: Buffer }[] = [];
    const check = (batch: { place: RawPlace; data: Buffer }[]): void => {
      const spans = batch.map(({ place, data }) => ({ ...place, length: data.length }));
      const back = [...readSpans(db, 's', spans)];
      batch.forEach(({ data }, i) => expect(back[i]!.data.equals(data)).toBe(true));
    };
    let i = 0;
    for (const n of sizes(64 * 1024)) {
      // Pieces of a batch, as the archive gets them (several chunks at once).
      const data = randomBytes(n);
      const cut = Math.floor(n / 3);
      const pieces = [data.subarray(0, cut), data.subarray(cut)];
      staged.push({ place: raw.append(pieces), data });
      // The writes holding a batch, once done, hold it (what the archive checks before a span).
      const ready = staged.filter((s) => s.place.last <= raw.done);
      check(ready);
      expect(ready.every((s) => raw.failure(s.place.first, s.place.last) === null)).toBe(true);
      if (++i % 17 === 0) {
        raw.sync();
        check(staged);
        written.push(...staged);
        staged = [];
      }
    }
    raw.sync();
    written.push(...staged);
    expect(raw.writesDirect).toBe(direct && directWorksHere());
    raw.close();
    check(written);
    const total = written.reduce((a, w) => a + w.data.length, 0);
    const segments = [...new Set(written.map((w) => w.place.segment))];
    const onDisk = segments.reduce((a, s) => a + statSync(segmentFile(db, s)).size, 0);
    expect(onDisk).toBe(total);
    db.close();
  });
});
