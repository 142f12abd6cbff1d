/**
 * Rows into PostgreSQL with `COPY … FROM STDIN (FORMAT binary)`: the PostgreSQL archive's
 * batch path. A batch is one stream of tuples the server stores without parsing a statement,
 * parameters, arrays or escapes; the client writes each value once, natively (a string is
 * UTF-8-encoded straight into the buffer), where an `INSERT … SELECT FROM unnest(…)`'s array
 * literals quoted and escaped every JSON body in JavaScript (most of the flush's time).
 *
 * The format (https://www.postgresql.org/docs/current/sql-copy.html, "Binary Format"): a
 * header; per row a 16-bit field count, then per field a 32-bit byte length (-1: null) and
 * the value in the type's binary form (text: UTF-8; int4/int8: big-endian; bytea: the bytes).
 * The types must be the columns' own: the server does not convert binary values.
 *
 * Text cannot hold U+0000 (the server rejects the byte, and with it the whole COPY): it is
 * stored as U+FFFD, the replacement character, as a lone surrogate already is by UTF-8
 * encoding. bytea keeps every byte, NUL included.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

/** A column's type as COPY's binary format writes it. */
export type CopyType = 'text' | 'int4' | 'int8' | 'bytea';

/** A value of a COPY row: text, an integer, bytes (bytea) or null. */
export type CopyValue = string | number | Uint8Array | null | undefined;

/** A COPY target: the table and its columns with their types, in the rows' order. */
export interface CopyTable {
  table: string;
  columns: readonly (readonly [name: string, type: CopyType])[];
}

/** Buffers of about this many bytes each: one CopyData message (rows may span two). */
const COPY_CHUNK_BYTES = 1 << 20;

/** "PGCOPY\n\377\r\n\0", flags 0, header extension length 0. */
const HEADER = Buffer.from([
  0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0,
]);
/** The trailer: a field count of -1. */
const TRAILER = Buffer.from([0xff, 0xff]);

const INT4_MIN = -(2 ** 31);
const INT4_MAX = 2 ** 31 - 1;
const TWO_32 = 2 ** 32;

/** Encodes rows for one COPY into buffers of about COPY_CHUNK_BYTES. */
export class CopyEncoder {
  private readonly chunks: Buffer[] = [];
  private buf: Buffer;
  private at: number;
  private rows = 0;

  constructor(private readonly target: CopyTable) {
    this.buf = Buffer.allocUnsafe(COPY_CHUNK_BYTES);
    HEADER.copy(this.buf, 0);
    this.at = HEADER.length;
  }

  /** Appends one row: its values in the columns' order. */
  row(values: readonly CopyValue[]): void {
    const columns = this.target.columns;
    if (values.length !== columns.length) {
      throw new TypeError(
        `COPY ${this.target.table}: ${values.length} values for ${columns.length} columns`,
      );
    }
    this.room(2);
    this.buf.writeInt16BE(columns.length, this.at);
    this.at += 2;
    for (let i = 0; i < columns.length; i++) this.field(columns[i]!, values[i]);
    this.rows += 1;
  }

  /** Rows appended so far. */
  get count(): number {
    return this.rows;
  }

  /** The buffers of a COPY of the rows appended; none when there are none. */
  end(): Buffer[] {
    if (this.rows === 0) return [];
    this.room(TRAILER.length);
    TRAILER.copy(this.buf, this.at);
    this.at += TRAILER.length;
    this.chunks.push(this.buf.subarray(0, this.at));
    this.buf = Buffer.alloc(0);
    this.at = 0;
    return this.chunks;
  }

  private field([name, type]: readonly [string, CopyType], v: CopyValue): void {
    if (v === null || v === undefined) {
      this.room(4);
      this.buf.writeInt32BE(-1, this.at);
      this.at += 4;
      return;
    }
    switch (type) {
      case 'text': {
        if (typeof v !== 'string') throw this.mismatch(name, type, v);
        const s = v.includes('\0') ? v.replaceAll('\0', '\uFFFD') : v;
        // At most 3 UTF-8 bytes per UTF-16 unit: write, then put the length in front.
        this.room(4 + s.length * 3);
        const n = this.buf.write(s, this.at + 4, 'utf8');
        this.buf.writeInt32BE(n, this.at);
        this.at += 4 + n;
        return;
      }
      case 'int4': {
        if (!Number.isInteger(v) || (v as number) < INT4_MIN || (v as number) > INT4_MAX)
          throw this.mismatch(name, type, v);
        this.room(8);
        this.buf.writeInt32BE(4, this.at);
        this.buf.writeInt32BE(v as number, this.at + 4);
        this.at += 8;
        return;
      }
      case 'int8': {
        if (!Number.isSafeInteger(v)) throw this.mismatch(name, type, v);
        const n = v as number;
        const high = Math.floor(n / TWO_32);
        this.room(12);
        this.buf.writeInt32BE(8, this.at);
        this.buf.writeInt32BE(high, this.at + 4);
        this.buf.writeUInt32BE(n - high * TWO_32, this.at + 8);
        this.at += 12;
        return;
      }
      case 'bytea': {
        if (!(v instanceof Uint8Array)) throw this.mismatch(name, type, v);
        this.room(4 + v.byteLength);
        this.buf.writeInt32BE(v.byteLength, this.at);
        this.buf.set(v, this.at + 4);
        this.at += 4 + v.byteLength;
        return;
      }
    }
  }

  /** Makes room for `bytes` more: the full buffer goes to the chunks, a new one takes over. */
  private room(bytes: number): void {
    if (this.at + bytes <= this.buf.length) return;
    if (this.at > 0) this.chunks.push(this.buf.subarray(0, this.at));
    this.buf = Buffer.allocUnsafe(Math.max(COPY_CHUNK_BYTES, bytes));
    this.at = 0;
  }

  private mismatch(name: string, type: CopyType, v: CopyValue): TypeError {
    const what = v instanceof Uint8Array ? 'bytes' : `${typeof v} ${String(v).slice(0, 40)}`;
    return new TypeError(`COPY ${this.target.table}.${name} (${type}): cannot take ${what}`);
  }
}

/** The rows as the buffers of one binary COPY into `target` (none when there are none). */
export function copyChunks(target: CopyTable, rows: Iterable<readonly CopyValue[]>): Buffer[] {
  const e = new CopyEncoder(target);
  for (const r of rows) e.row(r);
  return e.end();
}

/**
 * `COPY table(columns) FROM STDIN (FORMAT binary)` with buffers copyChunks made for it, on
 * the client (inside its transaction, if one is open). Rejects with the server's error (e.g.
 * a unique violation, code 23505), which aborts the transaction as any failed statement does.
 */
export async function copyInto(
  c: PoolClient,
  target: CopyTable,
  chunks: readonly Buffer[],
): Promise<void> {
  if (chunks.length === 0) return;
  const columns = target.columns.map(([name]) => name).join(', ');
  const stream = c.query(copyFrom(`COPY ${target.table}(${columns}) FROM STDIN (FORMAT binary)`));
  await pipeline(Readable.from(chunks), stream);
}
