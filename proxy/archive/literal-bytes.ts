/**
 * One literal's whole body, cut from a session's archived raw bytes (masked, as archived): the
 * events keep only a literal's first LITERAL_PREVIEW_BYTES, its size and its stream offset, and
 * the raw bytes of its direction, laid end to end, are that stream (SQLite: spans of the segment
 * files; PostgreSQL: raw_chunks rows, pg-read.ts), read through the store's `streamRange`.
 */
import { createHash } from 'node:crypto';
import type { Database as Db } from 'better-sqlite3';
import type { Direction } from '../../shared/direction.ts';
import type { LiteralRef } from '../../shared/messages.ts';
import { readSpans } from './raw-files.ts';
import type { ArchiveReader } from './store.ts';

/** Why a literal's bytes cannot be served. */
export type LiteralBytesRefusal =
  | { code: 'ERR_LITERAL_REFUSED'; message: string }
  | { code: 'ERR_LITERAL_NOT_ARCHIVED'; message: string }
  | { code: 'ERR_LITERAL_MISMATCH'; message: string };

interface Span {
  segment: number | null;
  offset: number;
  length: number;
}

/**
 * The pieces of the direction's stream from `start` (inclusive) to `end` (exclusive), in order,
 * read lazily; fewer bytes than asked when the archive holds less. The SQLite archive's
 * `streamRange`. No statement stays open between pieces (the spans in range are listed first,
 * then read from the segment files), so a caller may await between them while flushes write.
 */
export function* streamRange(
  db: Db,
  session: string,
  direction: Direction,
  start: number,
  end: number,
): Generator<Buffer> {
  if (end <= start) return;
  const spans = db
    .prepare(
      `SELECT segment, offset, length FROM raw_spans WHERE session = ? AND direction = ? ORDER BY id`,
    )
    .iterate(session, direction) as Iterable<Span>;
  let pos = 0;
  let any = false;
  const wanted: Span[] = [];
  for (const s of spans) {
    any = true;
    const from = Math.max(start, pos);
    const to = Math.min(end, pos + s.length);
    if (to > from)
      wanted.push({ segment: s.segment, offset: s.offset + (from - pos), length: to - from });
    pos += s.length;
    if (pos >= end) break;
  }
  for (const piece of readSpans(db, session, wanted)) yield piece.data;
  if (any) return;
  // Archives from before raw files kept chunks as blobs: their lengths first, then each blob
  // in range on its own.
  const chunks = db
    .prepare(
      `SELECT id, length(data) AS length FROM chunks WHERE session = ? AND direction = ? ORDER BY id`,
    )
    .all(session, direction) as { id: number; length: number }[];
  const blob = db.prepare(`SELECT data FROM chunks WHERE id = ?`).pluck();
  pos = 0;
  for (const c of chunks) {
    const from = Math.max(start, pos);
    const to = Math.min(end, pos + c.length);
    if (to > from) yield (blob.get(c.id) as Buffer).subarray(from - pos, to - pos);
    pos += c.length;
    if (pos >= end) return;
  }
}

/**
 * Checks that the archive holds the literal's whole body where its offset says: same size, the
 * same first bytes as the event's preview and (when the event has one: --literal-hashes) the
 * same sha256, so a session whose stream and offsets part ways (bytes lost to a gap) serves
 * nothing rather than the wrong bytes. A masked secret's literal has no hash; its preview and
 * its archived bytes are masked alike, and it is served masked, as archived.
 */
export async function checkLiteralBytes(
  reader: Pick<ArchiveReader, 'streamRange'>,
  session: string,
  direction: Direction,
  lit: LiteralRef,
): Promise<LiteralBytesRefusal | null> {
  if (lit.refused)
    return {
      code: 'ERR_LITERAL_REFUSED',
      message: 'the server refused this literal: it never came',
    };
  const hash = lit.sha256 !== null ? createHash('sha256') : null;
  const preview = Buffer.from(lit.preview.buffer, lit.preview.byteOffset, lit.preview.length);
  let previewDiffers = false;
  let n = 0;
  for await (const b of reader.streamRange(session, direction, lit.offset, lit.offset + lit.size)) {
    hash?.update(b);
    if (n < preview.length) {
      const k = Math.min(b.length, preview.length - n);
      if (!b.subarray(0, k).equals(preview.subarray(n, n + k))) previewDiffers = true;
    }
    n += b.length;
  }
  if (n !== lit.size)
    return {
      code: 'ERR_LITERAL_NOT_ARCHIVED',
      message: `the archive holds ${n} of the literal's ${lit.size} bytes`,
    };
  if (previewDiffers || (hash !== null && hash.digest('hex') !== lit.sha256))
    return {
      code: 'ERR_LITERAL_MISMATCH',
      message: 'the archived bytes differ from the literal (bytes were lost on the way)',
    };
  return null;
}
