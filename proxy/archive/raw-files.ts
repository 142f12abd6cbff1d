/**
 * Raw bytes of archived sessions, kept beside the SQLite file in append-only segment files
 * that all sessions share (`raw/seg-<n>.raw`); the database keeps a span (segment, offset,
 * length, direction, time) per chunk. Appending to a file costs a copy into the page cache;
 * the same bytes as SQLite blobs cost a WAL write and a checkpoint copy, and at bulk rates
 * that was the inspection thread's largest cost (~1.6 s of a 4.4 s profile of 4 × 105 MB).
 * Shared segments instead of a file per session: creating a file costs about 1 ms of kernel
 * time on our machines (1,000 creates: 970 ms system CPU), which at 200 short sessions at
 * once was a tenth of the inspection thread's time.
 *
 * A segment is closed past RAW_SEGMENT_BYTES and at each start (a new process never appends
 * to a file a killed one may have left half-written). A segment file is deleted once retention
 * has removed every span in it. A session that stays open for days leaves a little in every
 * segment it lives through; so that it cannot pin them all, a closed segment with less than
 * RAW_COMPACT_LIVE_RATIO of its bytes still referenced has those bytes moved to the current
 * segment (bytes first, then the spans, in one transaction per batch) and is deleted. Disk use
 * therefore stays within about 1 / RAW_COMPACT_LIVE_RATIO of the live bytes, plus the segment
 * being written.
 *
 * Archives written before segments kept one file per session (`raw/<session>.raw`); their
 * spans have no segment (NULL) and are still read, and deleted with their session.
 *
 * Small batches (a short session's lines, a NOOP and its OK) are staged: copied into one
 * RAW_STAGE_BYTES buffer, their place reserved, and written in one append when it fills or when
 * the archive flushes ({@link RawFiles.sync}), instead of a writev each. With 200 sessions at
 * once that was a syscall per tap batch of every session on the inspection thread. Large
 * batches (a bulk FETCH's 64 KiB reads) are written as they come, without a copy.
 *
 * Where the file system allows it (not tmpfs), segments are written with O_DIRECT: whole
 * 4 KiB blocks go from the staging buffer to the disk without a copy into the page cache, and
 * only a last partial block is written through the page cache (the next write rewrites that
 * block, direct, from its start: the staging buffer keeps it). A bulk FETCH's bytes cost the
 * inspection thread a copy into the staging buffer instead of a copy into newly allocated page
 * cache, which on our virtual machines cost 1-2.7 ms of kernel time per MB (each new page cache
 * page is new memory to the host) against 0.1 ms/MB direct. Reads go through the page cache as
 * before; the kernel keeps the two coherent.
 *
 * Crash safety: bytes are appended before the transaction that records their span commits
 * (the archive syncs the staged bytes first), so a span never points past what is on disk;
 * bytes without a span are ignored.
 */
import {
  closeSync,
  constants,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  rmSync,
  statSync,
  ftruncateSync,
  writeSync,
  writevSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import type { Database as Db } from 'better-sqlite3';
import {
  RAW_COMPACT_LIVE_RATIO,
  RAW_DIRECT_WRITE_BYTES,
  RAW_SEGMENT_BYTES,
  RAW_STAGE_BYTES,
} from '../limits.ts';

/** The folder of raw files that belongs to an archive database. */
export function rawDir(db: Db): string {
  return join(dirname(db.name), 'raw');
}

/** A segment's file. */
export function segmentFile(db: Db, segment: number): string {
  return join(rawDir(db), `seg-${segment}.raw`);
}

/** An older archive's per-session file (ids are base36; imported ones are sanitized the same way). */
export function legacyRawFile(db: Db, session: string): string {
  return join(rawDir(db), `${session.replace(/[^A-Za-z0-9_-]/g, '_')}.raw`);
}

const SEGMENT_NAME = /^seg-(\d+)\.raw$/;

/** Where appended bytes went. */
export interface RawPlace {
  segment: number;
  offset: number;
}

/** The block size direct writes are made of (offsets, lengths); a multiple of any disk's. */
const BLOCK = 4096;

/**
 * An open segment. `size`: bytes written to the file; staged bytes follow at `size`. `direct`:
 * a second descriptor opened with O_DIRECT (whole blocks go through it), or null.
 */
interface Segment {
  segment: number;
  fd: number;
  size: number;
  direct: number | null;
}

/** Appends sessions' bytes to the current segment. */
export class RawFiles {
  private current: Segment | null = null;
  private nextSegment: number;
  /** The staging buffer's memory (with room to align a view of it for O_DIRECT). */
  private readonly memory: Buffer;
  /**
   * The staging buffer: the current segment's last partial block first (`tail` bytes, already
   * written; direct writes only), then the staged bytes.
   */
  private stage: Buffer;
  private tail = 0;
  private staged = 0;
  /** Whether to try O_DIRECT: until a segment could not be opened or aligned for it. */
  private tryDirect = constants.O_DIRECT !== undefined;
  private aligned = false;
  /** Bytes the staging buffer holds after the tail. */
  private readonly capacity: number;

  /** `direct: false` never tries O_DIRECT (tests of the buffered writes). */
  constructor(
    private readonly db: Db,
    private readonly stageBytes = RAW_STAGE_BYTES,
    { direct = true }: { direct?: boolean } = {},
  ) {
    this.tryDirect &&= direct;
    mkdirSync(rawDir(db), { recursive: true, mode: 0o700 });
    // Past every segment the database or the folder knows of.
    const inDb = Number(db.prepare(`SELECT max(segment) FROM raw_spans`).pluck().get() ?? 0);
    const onDisk = readdirSync(rawDir(db))
      .map((f) => SEGMENT_NAME.exec(f)?.[1])
      .filter((n): n is string => n !== undefined)
      .map(Number);
    this.nextSegment = Math.max(inDb, 0, ...onDisk) + 1;
    // Direct writes of a large batch fill it up to RAW_DIRECT_WRITE_BYTES at a time.
    this.capacity = this.tryDirect ? Math.max(stageBytes, RAW_DIRECT_WRITE_BYTES) : stageBytes;
    this.memory = Buffer.allocUnsafeSlow(this.capacity + 2 * BLOCK);
    this.stage = this.memory.subarray(0, this.capacity + BLOCK);
  }

  /** Whether the current segment is written with O_DIRECT (see the top of this file). */
  get writesDirect(): boolean {
    return this.current?.direct != null;
  }

  /** Bytes staged and not yet written (see {@link sync}). */
  get stagedBytes(): number {
    return this.staged;
  }

  /**
   * Copies small buffers into the staging buffer and returns the place reserved for them, or
   * null when they are not staged: more than a quarter of the staging buffer, more than it has
   * room for (call {@link sync}, then stage or {@link append}), or past the segment's end.
   * Staged bytes reach the file at the next {@link sync}.
   */
  tryStage(buffers: readonly Uint8Array[]): RawPlace | null {
    let total = 0;
    for (const b of buffers) total += b.length;
    if (total > this.stageBytes / 4 || this.staged + total > this.stageBytes) return null;
    const f = this.segmentFor(total);
    if (f === null) return null;
    const offset = f.size + this.staged;
    for (const b of buffers) {
      this.stage.set(b, this.tail + this.staged);
      this.staged += b.length;
    }
    return { segment: f.segment, offset };
  }

  /**
   * Writes the staged bytes to their segment. On a failure (a full disk) they are discarded
   * and the error thrown: the caller must drop their spans.
   */
  sync(): void {
    const f = this.current;
    if (this.staged === 0 || f === null) return;
    const n = this.staged;
    this.staged = 0;
    if (f.direct !== null) this.writeDirect(f, f.direct, n);
    else this.writeAt(f, [this.stage.subarray(0, n)], n);
  }

  /**
   * Appends the buffers, in order, at once; returns where the first starts (the rest follow
   * it). Staged bytes are written first (and if that fails, the error is theirs: these buffers
   * are not written either).
   */
  append(buffers: Uint8Array[]): RawPlace {
    this.sync();
    let total = 0;
    for (const b of buffers) total += b.length;
    let f = this.current;
    if (f && f.size > 0 && f.size + total > RAW_SEGMENT_BYTES) {
      this.closeSegment(f);
      f = null;
    }
    f ??= this.open();
    const offset = f.size;
    if (f.direct === null) {
      this.writeAt(f, buffers, total);
      return { segment: f.segment, offset };
    }
    // Through the staging buffer, a bufferful at a time: direct writes need aligned memory.
    for (const b of buffers) {
      for (let at = 0; at < b.length;) {
        const n = Math.min(this.capacity - this.staged, b.length - at);
        this.stage.set(b.subarray(at, at + n), this.tail + this.staged);
        this.staged += n;
        at += n;
        if (this.staged === this.capacity) this.sync();
      }
    }
    this.sync();
    return { segment: f.segment, offset };
  }

  /** The current segment if `total` more bytes (after the staged ones) fit in it; opens one. */
  private segmentFor(total: number): Segment | null {
    const f = this.current;
    if (f === null) return this.staged === 0 ? this.open() : null;
    const end = f.size + this.staged + total;
    return end > RAW_SEGMENT_BYTES && f.size + this.staged > 0 ? null : f;
  }

  private open(): Segment {
    const segment = this.nextSegment++;
    const file = segmentFile(this.db, segment);
    let fd = openSync(file, 'a', 0o600);
    const direct = this.openDirect(file);
    if (direct !== null) {
      // Partial blocks are written at their place (a block is rewritten as it fills), which a
      // descriptor opened for appending would ignore.
      closeSync(fd);
      fd = openSync(file, constants.O_WRONLY);
    }
    this.current = { segment, fd, size: 0, direct };
    this.tail = 0;
    return this.current;
  }

  /**
   * The new segment's O_DIRECT descriptor, or null where the file system refuses O_DIRECT or no
   * alignment of the staging buffer suits it (then every later segment is written buffered).
   * The first segment finds the alignment by trying a zero block at offsets of the staging
   * memory (a misaligned buffer is refused with EINVAL), then empties the file again.
   */
  private openDirect(file: string): number | null {
    if (!this.tryDirect) return null;
    let fd: number;
    try {
      fd = openSync(file, constants.O_WRONLY | constants.O_DIRECT, 0o600);
    } catch {
      this.tryDirect = false;
      return null;
    }
    if (this.aligned) return fd;
    const zeros = this.memory.fill(0, 0, 2 * BLOCK);
    try {
      for (let at = 0; at < BLOCK; at += 16) {
        try {
          writeSync(fd, zeros, at, BLOCK, 0);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'EINVAL') continue;
          throw err;
        }
        ftruncateSync(fd, 0);
        this.stage = this.memory.subarray(at, at + this.capacity + BLOCK);
        this.aligned = true;
        return fd;
      }
    } catch {
      // a full disk, or anything else: write this archive buffered
    }
    closeSync(fd);
    this.tryDirect = false;
    return null;
  }

  /**
   * Writes the staged bytes: the whole blocks from the start of the tail's block, direct, then
   * what is left of a block through the page cache; keeps that last partial block as the tail.
   * On a failure nothing counts as written (the next write starts again at the tail's block).
   */
  private writeDirect(f: Segment, direct: number, n: number): void {
    const start = f.size - this.tail;
    const end = this.tail + n;
    const whole = end - (end % BLOCK);
    let done = 0;
    while (done < whole) done += writeSync(direct, this.stage, done, whole - done, start + done);
    while (done < end) done += writeSync(f.fd, this.stage, done, end - done, start + done);
    f.size += n;
    this.tail = end - whole;
    this.stage.copyWithin(0, whole, end);
  }

  private closeSegment(f: Segment): void {
    closeSync(f.fd);
    if (f.direct !== null) closeSync(f.direct);
    if (this.current === f) this.current = null;
    this.tail = 0;
  }

  private writeAt(f: Segment, buffers: Uint8Array[], total: number): void {
    try {
      this.write(f.fd, buffers, total);
    } catch (err) {
      // A full disk may have taken part of the bytes: the next span must start past them
      // (the file is opened for appending), so take the size from the file itself.
      f.size = fstatSync(f.fd).size;
      throw err;
    }
    f.size += total;
  }

  private write(fd: number, buffers: Uint8Array[], total: number): void {
    const done = writevSync(fd, buffers);
    // A short writev (rare on regular files): finish buffer by buffer from where it stopped.
    if (done < total) {
      let skip = done;
      for (const b of buffers) {
        if (skip >= b.length) {
          skip -= b.length;
          continue;
        }
        let at = skip;
        skip = 0;
        while (at < b.length) {
          const n = writeSync(fd, b, at, b.length - at);
          at += n;
        }
      }
    }
  }

  /**
   * After retention deleted spans: deletes the removed sessions' per-session files (older
   * archives) and every closed segment no span points into any more.
   */
  removeUnused(removedSessions: readonly string[]): void {
    for (const id of removedSessions) rmSync(legacyRawFile(this.db, id), { force: true });
    const used = new Set(
      (
        this.db
          .prepare(`SELECT DISTINCT segment FROM raw_spans WHERE segment IS NOT NULL`)
          .pluck()
          .all() as number[]
      ).map(Number),
    );
    for (const f of readdirSync(rawDir(this.db))) {
      const n = SEGMENT_NAME.exec(f)?.[1];
      if (n === undefined) continue;
      const segment = Number(n);
      if (segment === this.current?.segment || used.has(segment)) continue;
      rmSync(join(rawDir(this.db), f), { force: true });
    }
  }

  /**
   * Moves the referenced bytes out of closed segments that are mostly dead into the current
   * one, then deletes those segments; returns how many were compacted. Bytes go first, spans
   * after (a crash in between leaves the spans pointing at the old, still present, copy).
   */
  compact(): number {
    const live = this.db
      .prepare(
        `SELECT segment, sum(length) AS bytes FROM raw_spans WHERE segment IS NOT NULL
         GROUP BY segment`,
      )
      .all() as { segment: number; bytes: number }[];
    const spansOf = this.db.prepare(
      `SELECT id, offset, length FROM raw_spans WHERE segment = ? AND id > ? ORDER BY id LIMIT 1000`,
    );
    const move = this.db.prepare(`UPDATE raw_spans SET segment = ?, offset = ? WHERE id = ?`);
    let compacted = 0;
    for (const { segment, bytes } of live) {
      if (segment === this.current?.segment) continue;
      const file = segmentFile(this.db, segment);
      if (!existsSync(file)) continue;
      if (bytes >= statSync(file).size * RAW_COMPACT_LIVE_RATIO) continue;
      const fd = openSync(file, 'r');
      try {
        let last = 0;
        for (;;) {
          const spans = spansOf.all(segment, last) as {
            id: number;
            offset: number;
            length: number;
          }[];
          if (spans.length === 0) break;
          last = spans[spans.length - 1]!.id;
          const buffers = spans.map((s) => {
            const data = Buffer.alloc(s.length);
            readSync(fd, data, 0, s.length, s.offset);
            return data;
          });
          const place = this.append(buffers);
          this.db.transaction(() => {
            let offset = place.offset;
            for (const s of spans) {
              move.run(place.segment, offset, s.id);
              offset += s.length;
            }
          })();
        }
      } finally {
        closeSync(fd);
      }
      rmSync(file, { force: true });
      compacted += 1;
    }
    return compacted;
  }

  /** Writes what is staged (an error is thrown as from {@link sync}) and closes the segment. */
  close(): void {
    try {
      this.sync();
    } finally {
      if (this.current) this.closeSegment(this.current);
    }
  }
}

/**
 * Reads spans of a session in order (each from its segment, or from the session's own file
 * when it has no segment); files are opened once each and closed at the end.
 */
export function* readSpans<T extends { segment: number | null; offset: number; length: number }>(
  db: Db,
  session: string,
  spans: Iterable<T>,
): Generator<T & { data: Buffer }> {
  const fds = new Map<number | null, number | null>();
  const fdOf = (segment: number | null): number | null => {
    let fd = fds.get(segment);
    if (fd === undefined) {
      const file = segment === null ? legacyRawFile(db, session) : segmentFile(db, segment);
      fd = existsSync(file) ? openSync(file, 'r') : null;
      fds.set(segment, fd);
    }
    return fd;
  };
  try {
    for (const s of spans) {
      const fd = fdOf(s.segment);
      if (fd === null) continue;
      const data = Buffer.allocUnsafe(s.length);
      let done = 0;
      while (done < s.length) {
        const n = readSync(fd, data, done, s.length - done, s.offset + done);
        if (n === 0) break;
        done += n;
      }
      yield { ...s, data: data.subarray(0, done) };
    }
  } finally {
    for (const fd of fds.values()) if (fd !== null) closeSync(fd);
  }
}
