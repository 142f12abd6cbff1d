/**
 * Dovecot rawlogs: a pair of files per connection, `<name>.in` (what Dovecot received: the
 * client's bytes) and `<name>.out` (what it sent). Dovecot 2.3 starts the file and every line
 * after an LF with `SECONDS.MICROS `; those stamps become the chunks' times and are removed.
 */
import type { TranscriptChunk } from '../export/transcript.ts';

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
 * Both directions of a rawlog pair in time order, to the microsecond of Dovecot's stamps (per
 * direction, file order is kept; on equal times the server's bytes go first).
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
