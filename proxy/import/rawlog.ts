/**
 * Dovecot rawlogs: a pair of files per connection, `<name>.in` (what Dovecot received: the
 * client's bytes) and `<name>.out` (what it sent). Two kinds exist: Dovecot 2.3's
 * `rawlog_dir` and `imap-login -R` start the file and every line after an LF with
 * `SECONDS.MICROS ` (those stamps become the chunks' times and are removed), while the classic
 * `rawlog` post-login program writes the bytes alone unless given `-t`. A pair without stamps
 * is put in protocol order by its tags (rawlog-pairing.ts) and dated by the files' mtime.
 */
import type { TranscriptChunk } from '../export/transcript.ts';
import { ImportError } from './import-error.ts';
import { pairRawlogByTags } from './rawlog-pairing.ts';

const STAMP = /^(\d+)\.(\d{6}) /;

/** One rawlog file as chunks (one per line), its stamps removed; bytes without one are kept. */
export function parseRawlog(
  raw: Buffer,
  direction: 'c2s' | 's2c',
  defaultAt = 0,
): (TranscriptChunk & { us: number })[] {
  const out: (TranscriptChunk & { us: number })[] = [];
  let pos = 0;
  let at = defaultAt;
  let us = defaultAt * 1000;
  while (pos < raw.length) {
    const m = STAMP.exec(raw.subarray(pos, pos + 32).toString('latin1'));
    if (m) {
      us = Number(m[1]) * 1_000_000 + Number(m[2]);
      at = Math.floor(us / 1000);
      pos += m[0].length;
    }
    const nl = raw.indexOf(0x0a, pos);
    const end = nl < 0 ? raw.length : nl + 1;
    if (end > pos) out.push({ direction, at, us, data: raw.subarray(pos, end) });
    pos = end;
  }
  return out;
}

/**
 * Both directions of a timestamped rawlog pair in time order, to the microsecond of Dovecot's
 * stamps (per direction, file order is kept; on equal times the server's bytes go first).
 */
export function mergeRawlogPair(inFile: Buffer, outFile: Buffer): TranscriptChunk[] {
  const c2s = parseRawlog(inFile, 'c2s');
  const s2c = parseRawlog(outFile, 's2c');
  const merged: TranscriptChunk[] = [];
  let i = 0;
  let j = 0;
  while (i < c2s.length || j < s2c.length) {
    const a = c2s[i];
    const b = s2c[j];
    if (b && (!a || b.us <= a.us)) {
      merged.push(b);
      j++;
    } else if (a) {
      merged.push(a);
      i++;
    }
  }
  return merged;
}

/** Whether a rawlog file carries Dovecot's stamps; null when empty (it cannot tell). */
function stamped(raw: Buffer): boolean | null {
  return raw.length === 0 ? null : STAMP.test(raw.subarray(0, 32).toString('latin1'));
}

export interface RawlogPair {
  chunks: TranscriptChunk[];
  /** False: no stamps, paired by tags and dated by `mtime`. */
  timestamps: boolean;
  /**
   * The tag of a login completion with no command in the pair: Dovecot's post-login rawlogs
   * start after imap-login answered the client's LOGIN/AUTHENTICATE with this tag.
   */
  loginTag: string | null;
}

/**
 * Reads a rawlog pair in the order its bytes crossed the connection: by Dovecot's stamps when
 * it has them, else by its tags, every chunk at `mtime`. Throws an ImportError when one file
 * has stamps and the other not (two halves of different pairs).
 */
export function readRawlogPair(
  inFile: Buffer,
  outFile: Buffer,
  mtime: number,
  name: string,
): RawlogPair {
  const a = stamped(inFile);
  const b = stamped(outFile);
  if (a !== null && b !== null && a !== b) {
    throw new ImportError(
      'ERR_IMPORT_RAWLOG_PAIR',
      `${name}: the .${a ? 'in' : 'out'} file has Dovecot's timestamps and the .${a ? 'out' : 'in'} file has none, so they are not one pair`,
    );
  }
  const timestamps = a === true || b === true;
  const chunks = timestamps
    ? mergeRawlogPair(inFile, outFile)
    : pairRawlogByTags(inFile, outFile).map((c) => ({ ...c, at: mtime }));
  return { chunks, timestamps, loginTag: loginTag(chunks) };
}

/** See RawlogPair.loginTag: a tagged server line before the client's first byte. */
function loginTag(chunks: readonly TranscriptChunk[]): string | null {
  for (const c of chunks) {
    if (c.direction === 'c2s') return null;
    const tag = /^([^\s*+]\S*) (?:OK|NO|BAD)\b/i.exec(Buffer.from(c.data).toString('latin1'));
    if (tag) return tag[1]!;
  }
  return null;
}
