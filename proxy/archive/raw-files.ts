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
 * Appends are copied into the memory of a writer thread (raw-writer.ts) and written there, in
 * writes of up to RAW_DIRECT_WRITE_BYTES: a slot is sent when it fills, and what a slot holds
 * at the archive's flush is sent then. A short session's lines and a NOOP and its OK so cost a
 * copy, not a syscall each, and a bulk FETCH's bytes are on their way to the disk while the
 * inspection thread decodes the next ones (the synchronous writes were most of its busy time).
 *
 * Where the file system allows it (not tmpfs), segments are written with O_DIRECT: whole
 * 4 KiB blocks go from the writer's memory to the disk without a copy into the page cache, and
 * only a last partial block is written through the page cache (the next write rewrites that
 * block, direct, from its start: its bytes lead the next slot). New page cache pages cost 1-2.7
 * ms of kernel time per MB on our virtual machines (each is new memory to the host) against
 * 0.1 ms/MB direct. Reads go through the page cache as before; the kernel keeps the two
 * coherent.
 *
 * Crash safety: a span's row is committed only once the writes holding its bytes are done (the
 * archive checks {@link RawFiles.done}), so a span never points past what is on disk; bytes
 * without a span are ignored. A failed write (a full disk) loses only its own bytes: the
 * archive drops the spans in it, and later writes, each of its whole range, go on.
 */
import {
  closeSync,
  constants,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  rmSync,
  statSync,
  ftruncateSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import type { Database as Db } from 'better-sqlite3';
import {
  RAW_COMPACT_LIVE_RATIO,
  RAW_DIRECT_WRITE_BYTES,
  RAW_SEGMENT_BYTES,
  RAW_WRITE_SLOTS,
} from '../limits.ts';
import { RawWriter, type Slot } from './raw-writer.ts';

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

/** Where appended bytes went, and the writes (jobs of raw-writer.ts) that hold them. */
export interface RawAppend extends RawPlace {
  /** The write holding the first byte. */
  first: number;
  /** The write holding the last byte: once it is done (and none between failed), so are they. */
  last: number;
}

/**
 * An open segment. `end`: bytes appended (the next append's offset). `slotStart`: where the
 * slot being filled starts in the file (a block boundary when written direct). `direct`: a
 * second descriptor opened with O_DIRECT (whole blocks go through it), or null.
 */
interface Segment {
  segment: number;
  fd: number;
  direct: number | null;
  end: number;
  slotStart: number;
}

/** Appends sessions' bytes to the current segment. */
export class RawFiles {
  private current: Segment | null = null;
  private nextSegment: number;
  private writer: RawWriter | null = null;
  /** The job the slot being filled becomes when sent (jobs count from 1). */
  private seq = 1;
  /** The slot being filled, and a view of it from its aligned start. */
  private slot: Slot | null = null;
  private view: Buffer = Buffer.alloc(0);
  /** Bytes in the slot being filled: the last partial block already sent (direct), then new ones. */
  private fill = 0;
  /** How many bytes at the start of the slot are that partial block. */
  private tail = 0;
  /** Whether to try O_DIRECT: until a segment could not be opened or aligned for it. */
  private tryDirect = constants.O_DIRECT !== undefined;
  private aligned = false;
  /** A slot's size: up to slotBytes new bytes after a partial block. */
  private readonly slotSize: number;
  private readonly slots: number;

  /**
   * `slotBytes`: bytes per write (RAW_DIRECT_WRITE_BYTES); `slots`: writes in flight at most
   * (RAW_WRITE_SLOTS); `direct: false` never tries O_DIRECT (tests of the buffered writes).
   */
  constructor(
    private readonly db: Db,
    {
      direct = true,
      slotBytes = RAW_DIRECT_WRITE_BYTES,
      slots = RAW_WRITE_SLOTS,
    }: { direct?: boolean; slotBytes?: number; slots?: number } = {},
  ) {
    this.tryDirect &&= direct;
    this.slotSize = Math.ceil(slotBytes / BLOCK) * BLOCK + BLOCK;
    this.slots = slots;
    mkdirSync(rawDir(db), { recursive: true, mode: 0o700 });
    // Past every segment the database or the folder knows of.
    const inDb = Number(db.prepare(`SELECT max(segment) FROM raw_spans`).pluck().get() ?? 0);
    const onDisk = readdirSync(rawDir(db))
      .map((f) => SEGMENT_NAME.exec(f)?.[1])
      .filter((n): n is string => n !== undefined)
      .map(Number);
    this.nextSegment = Math.max(inDb, 0, ...onDisk) + 1;
  }

  /** Whether the current segment is written with O_DIRECT (see the top of this file). */
  get writesDirect(): boolean {
    return this.current?.direct != null;
  }

  /**
   * Copies the buffers, in order, into the writer thread's memory and returns where the first
   * starts (the rest follow it) and which writes hold them. A full slot is sent at once; the
   * rest waits for {@link send}. Blocks only while every slot is still being written (the disk
   * is slower than the traffic). Throws only when no segment can be opened.
   */
  append(buffers: readonly Uint8Array[]): RawAppend {
    let total = 0;
    for (const b of buffers) total += b.length;
    let f = this.current;
    if (f && f.end > 0 && f.end + total > RAW_SEGMENT_BYTES) {
      this.closeSegment(f);
      f = null;
    }
    f ??= this.open();
    const place = { segment: f.segment, offset: f.end, first: this.seq, last: this.seq };
    for (const b of buffers) {
      for (let at = 0; at < b.length;) {
        if (this.fill === this.slotSize) this.send();
        const n = Math.min(this.slotSize - this.fill, b.length - at);
        this.view.set(b.subarray(at, at + n), this.fill);
        this.fill += n;
        f.end += n;
        at += n;
      }
    }
    place.last = this.seq;
    return place;
  }

  /** Sends the bytes appended so far to the writer thread (without waiting for the write). */
  send(): void {
    const f = this.current;
    if (f === null || this.fill === this.tail) return;
    const w = this.writer!;
    const whole = f.direct === null ? 0 : this.fill - (this.fill % BLOCK);
    const job = {
      seq: this.seq,
      length: this.fill,
      position: f.slotStart,
      whole,
      direct: f.direct ?? -1,
      fd: f.fd,
    };
    // The next slot (waiting while the thread holds them all: the disk is behind).
    const next = w.take();
    const view = this.viewOf(next);
    // Direct writes are whole blocks from a block boundary: the next write starts again at the
    // last partial block's start, whose bytes (already written through the page cache) lead it.
    const keep = f.direct === null ? 0 : this.fill - whole;
    if (keep > 0) this.view.copy(view, 0, whole, this.fill);
    w.send(job, this.slot!);
    this.seq += 1;
    this.slot = next;
    this.view = view;
    f.slotStart += f.direct === null ? this.fill : whole;
    this.tail = keep;
    this.fill = keep;
  }

  /** The last write finished (see {@link RawAppend}). */
  get done(): number {
    return this.writer?.done ?? 0;
  }

  /** The first failure among writes `first`..`last` (finished), or null. */
  failure(first: number, last: number): Error | null {
    return this.writer?.failure(first, last) ?? null;
  }

  /** Forgets failures up to write `seq` (their spans are dealt with). */
  forget(seq: number): void {
    this.writer?.forget(seq);
  }

  /** Sends what is appended and waits until every write is done (see RawWriter.waitFor). */
  sync(): void {
    this.send();
    this.writer?.waitAll();
  }

  private viewOf(slot: Slot): Buffer {
    return Buffer.from(slot.buffer, slot.at, this.slotSize);
  }

  private open(): Segment {
    if (this.writer === null) {
      this.writer = new RawWriter(this.slots, this.slotSize, BLOCK);
      this.slot = this.writer.take();
    }
    const segment = this.nextSegment++;
    const file = segmentFile(this.db, segment);
    // Not O_APPEND: every write goes to its own position (a descriptor opened for appending
    // would ignore it), which a partial block rewritten as it fills needs.
    const fd = openSync(file, constants.O_WRONLY | constants.O_CREAT, 0o600);
    const direct = this.openDirect(file);
    this.current = { segment, fd, direct, end: 0, slotStart: 0 };
    this.view = this.viewOf(this.slot!);
    this.fill = 0;
    this.tail = 0;
    return this.current;
  }

  /**
   * The new segment's O_DIRECT descriptor, or null where the file system refuses O_DIRECT or no
   * alignment of the writer's memory suits it (then every later segment is written buffered).
   * The first segment finds the alignment by trying a zero block at offsets of that memory (a
   * misaligned buffer is refused with EINVAL), then empties the file again.
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
    // Nothing was sent yet: every slot is here to probe.
    try {
      for (const slot of this.writer!.slots) slot.at = alignment(fd, slot.buffer);
      ftruncateSync(fd, 0);
      this.aligned = true;
      return fd;
    } catch {
      // no alignment works, a full disk, or anything else: write this archive buffered
      for (const slot of this.writer!.slots) slot.at = 0;
    }
    closeSync(fd);
    this.tryDirect = false;
    return null;
  }

  /** Sends what is appended; the descriptors close after the segment's last write. */
  private closeSegment(f: Segment): void {
    this.send();
    this.writer!.closeLater(f.direct === null ? [f.fd] : [f.fd, f.direct]);
    if (this.current === f) this.current = null;
    this.fill = 0;
    this.tail = 0;
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
          this.sync();
          if (this.failure(place.first, place.last)) throw new Error('raw compaction write failed');
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

  /** Writes what is appended, waits for it, closes the segment and ends the writer thread. */
  close(): void {
    try {
      this.send();
      this.writer?.waitAll();
    } finally {
      if (this.current) this.closeSegment(this.current);
      this.writer?.stop();
      this.writer = null;
      this.slot = null;
    }
  }
}

/**
 * Where in `buffer` a block starts that O_DIRECT takes: tries a zero block at offsets of it (a
 * misaligned buffer is refused with EINVAL) at the start of `fd`'s file. Throws when none does.
 */
function alignment(fd: number, buffer: ArrayBuffer): number {
  const zeros = Buffer.from(buffer).fill(0, 0, 2 * BLOCK);
  for (let at = 0; at < BLOCK; at += 16) {
    try {
      writeSync(fd, zeros, at, BLOCK, 0);
      return at;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EINVAL') throw err;
    }
  }
  throw new Error('no alignment of the memory suits O_DIRECT');
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
