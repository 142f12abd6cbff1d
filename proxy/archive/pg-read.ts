/**
 * Reads of the PostgreSQL archive that have no SQL in common with SQLite's: a direction's byte
 * stream cut out of the `raw_chunks` rows (SQLite keeps raw bytes in segment files beside the
 * database, literal-bytes.ts). Used by PgArchive's `streamRange`, for whole-literal downloads.
 */
import type { Pool } from 'pg';
import type { Direction } from '../../shared/direction.ts';

/** Raw bytes fetched per query while streaming a range (bytea travels as hex: twice this). */
const RANGE_READ_BYTES = 4 * 1024 * 1024;

interface Placed {
  id: number;
  /** Where the chunk starts in its direction's stream. */
  pos: number;
  len: number;
}

/**
 * The bytes of `direction`'s stream of `session` from `start` (inclusive) to `end`
 * (exclusive), in order; fewer when the archive holds less. One query places the chunks in the
 * stream from their lengths alone (octet_length reads a bytea's header, not its bytes); then
 * only the chunks that overlap the range are read, RANGE_READ_BYTES at a time, so a large
 * literal is streamed, never held whole.
 */
export async function* pgStreamRange(
  pool: Pool,
  session: string,
  direction: Direction,
  start: number,
  end: number,
): AsyncGenerator<Buffer> {
  if (end <= start) return;
  const placed = await pool.query<Placed>(
    `SELECT id, pos, len FROM (
       SELECT id, octet_length(data) AS len,
              sum(octet_length(data)) OVER (ORDER BY id) - octet_length(data) AS pos
       FROM raw_chunks WHERE session = $1 AND direction = $2) c
     WHERE pos < $4 AND pos + len > $3 ORDER BY id`,
    [session, direction, start, end],
  );
  const rows = placed.rows;
  for (let i = 0; i < rows.length;) {
    let bytes = 0;
    let j = i;
    while (j < rows.length && (j === i || bytes + rows[j]!.len <= RANGE_READ_BYTES)) {
      bytes += rows[j]!.len;
      j++;
    }
    const part = rows.slice(i, j);
    const data = await pool.query<{ id: number; data: Buffer }>(
      `SELECT id, data FROM raw_chunks WHERE id = ANY($1::bigint[]) ORDER BY id`,
      [part.map((p) => p.id)],
    );
    const byId = new Map(data.rows.map((r) => [r.id, r.data]));
    for (const p of part) {
      const d = byId.get(p.id);
      // Deleted by retention meanwhile: the range ends short, and the caller sees it did.
      if (!d) return;
      const from = Math.max(start, p.pos) - p.pos;
      const to = Math.min(end, p.pos + p.len) - p.pos;
      yield d.subarray(from, to);
    }
    i = j;
  }
}
