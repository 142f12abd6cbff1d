/**
 * Raw bytes of archived sessions, kept beside the SQLite file as one append-only file per
 * session (`raw/<session>.raw`); the database keeps a span (direction, time, offset, length)
 * per chunk. Appending to a file costs a copy into the page cache; the same bytes as SQLite
 * blobs cost a WAL write and a checkpoint copy, and at bulk rates that was the inspection
 * thread's largest cost (~1.6 s of a 4.4 s profile of 4 × 105 MB).
 *
 * Crash safety: bytes are appended before the transaction that records their span commits,
 * so a span never points past what is on disk; bytes without a span are ignored.
 */
import {
  closeSync,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readSync,
  rmSync,
  writeSync,
  writevSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import type { Database as Db } from 'better-sqlite3';

/** Files kept open for appending at once; the least recently opened is closed past it. */
const MAX_OPEN_RAW_FILES = 256;

/** The folder of raw files that belongs to an archive database. */
export function rawDir(db: Db): string {
  return join(dirname(db.name), 'raw');
}

/** A session id as a file name (ids are base36; imported ones are sanitized the same way). */
export function rawFile(db: Db, session: string): string {
  return join(rawDir(db), `${session.replace(/[^A-Za-z0-9_-]/g, '_')}.raw`);
}

/** Appends sessions' bytes; one open descriptor per recent session. */
export class RawFiles {
  private readonly open = new Map<string, { fd: number; size: number }>();

  constructor(private readonly db: Db) {
    mkdirSync(rawDir(db), { recursive: true, mode: 0o700 });
  }

  /** Appends the buffers, in order, to the session's file; returns the offset the first starts at. */
  append(session: string, buffers: Uint8Array[]): number {
    let f = this.open.get(session);
    if (!f) {
      const fd = openSync(rawFile(this.db, session), 'a', 0o600);
      f = { fd, size: fstatSync(fd).size };
      this.open.set(session, f);
      if (this.open.size > MAX_OPEN_RAW_FILES) {
        const [oldest] = this.open.keys();
        if (oldest !== undefined) this.release(oldest);
      }
    }
    const offset = f.size;
    let total = 0;
    for (const b of buffers) total += b.length;
    let done = writevSync(f.fd, buffers);
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
          const n = writeSync(f.fd, b, at, b.length - at);
          at += n;
          done += n;
        }
      }
    }
    f.size += total;
    return offset;
  }

  /** Closes the session's file (it can be appended to again later). */
  release(session: string): void {
    const f = this.open.get(session);
    if (!f) return;
    this.open.delete(session);
    closeSync(f.fd);
  }

  /** Deletes the session's file. */
  remove(session: string): void {
    this.release(session);
    rmSync(rawFile(this.db, session), { force: true });
  }

  close(): void {
    for (const s of [...this.open.keys()]) this.release(s);
  }
}

/** Reads spans of a session's raw file in order; the file is opened once and closed at the end. */
export function* readSpans<T extends { offset: number; length: number }>(
  db: Db,
  session: string,
  spans: Iterable<T>,
): Generator<T & { data: Buffer }> {
  const file = rawFile(db, session);
  if (!existsSync(file)) return;
  const fd = openSync(file, 'r');
  try {
    for (const s of spans) {
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
    closeSync(fd);
  }
}
