/**
 * The `C:`/`S:` transcript: one line per protocol line, prefixed with its time and direction,
 * readable by a person and read back exactly by {@link parseTranscript}.
 *
 * ```
 * # imapscope transcript v1 session=mfx3k01 client=127.0.0.1:50412 upstream=127.0.0.1:143
 * 2026-11-26T14:59:00.123Z S: * OK Dovecot ready.
 * 2026-11-26T14:59:00.130Z C: a1 LOGIN alice ******
 * ```
 * Each line stands for its bytes plus CRLF. Bytes that are not printable (controls, a lone CR,
 * invalid UTF-8) are written `\xNN`; a backslash is written `\\` where it would otherwise read
 * as an escape (before `\`, `n`, `x`, or at the end of the line), else as itself; a line that ended in a bare LF is written
 * with a trailing `\n` and gets no CRLF; a last line with no line end at all ends in a lone
 * `\`. Lines starting with `#` are comments; the timestamp is optional when reading (a
 * hand-written `C: a1 NOOP` transcript imports too).
 */
import type { Direction } from '../../shared/direction.ts';

export interface TranscriptChunk {
  direction: Direction;
  at: number;
  data: Buffer;
  /** A marker, not bytes: inspection lost this many bytes of the direction here. */
  gap?: { droppedBytes: number; droppedChunks: number };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** One line's bytes (without its CRLF) as transcript text. */
export function escapeLine(bytes: Buffer): string {
  try {
    // eslint-disable-next-line no-control-regex -- control bytes are exactly what is escaped
    return escapeText(utf8.decode(bytes), /[\x00-\x1f\x7f]/);
  } catch {
    // eslint-disable-next-line no-control-regex -- control bytes are exactly what is escaped
    return escapeText(bytes.toString('latin1'), /[\x00-\x1f\x7f-\xff]/);
  }
}

/**
 * Escapes the characters `special` matches as `\xNN` (LF as `\n`). A backslash is doubled only
 * where it would read as an escape: before `\`, `n`, `x`, an escaped character, or at the end;
 * so IMAP's `\Seen` and `\Noselect` stay as they are.
 */
function escapeText(text: string, special: RegExp): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '\\') {
      const n = text[i + 1];
      out +=
        n === undefined || n === '\\' || n === 'n' || n === 'x' || special.test(n) ? '\\\\' : c;
    } else if (c === '\n') out += '\\n';
    else if (special.test(c)) out += hex(c.charCodeAt(0));
    else out += c;
  }
  return out;
}

const hex = (n: number): string => `\\x${n.toString(16).padStart(2, '0')}`;

/**
 * Writes chunks in arrival order as transcript lines. A line is written when its LF arrives
 * (or at the end), stamped with the time its first byte arrived.
 */
export function* writeTranscript(
  header: string,
  chunks: Iterable<TranscriptChunk>,
): Generator<string> {
  yield `# imapscope transcript v1 ${header}\n`;
  const pending: Record<Direction, { buf: Buffer; at: number } | null> = { c2s: null, s2c: null };
  const line = (d: Direction, bytes: Buffer, at: number, ended: boolean): string => {
    const who = d === 'c2s' ? 'C:' : 'S:';
    let body: string;
    if (!ended) body = escapeLine(bytes) + '\\';
    else if (bytes.length >= 2 && bytes[bytes.length - 2] === 0x0d)
      body = escapeLine(bytes.subarray(0, -2));
    else body = escapeLine(bytes);
    return `${new Date(at).toISOString()} ${who} ${body}\n`;
  };
  for (const c of chunks) {
    if (c.gap) {
      // The bytes before the hole and after it are not one line: end the one cut short.
      const cut = pending[c.direction];
      pending[c.direction] = null;
      const who = c.direction === 'c2s' ? 'C:' : 'S:';
      yield (
        (cut ? line(c.direction, cut.buf, cut.at, false) : '') +
        `# ${new Date(c.at).toISOString()} gap ${who} ${c.gap.droppedBytes} bytes ` +
        `(${c.gap.droppedChunks} chunks) relayed but not inspected\n`
      );
      continue;
    }
    const p = pending[c.direction];
    let buf = p ? Buffer.concat([p.buf, c.data]) : c.data;
    let at = p ? p.at : c.at;
    let out = '';
    let nl: number;
    while ((nl = buf.indexOf(0x0a)) >= 0) {
      out += line(c.direction, buf.subarray(0, nl + 1), at, true);
      buf = buf.subarray(nl + 1);
      at = c.at;
    }
    pending[c.direction] = buf.length > 0 ? { buf, at } : null;
    if (out) yield out;
  }
  for (const d of ['c2s', 's2c'] as const) {
    const p = pending[d];
    if (p) yield line(d, p.buf, p.at, false);
  }
}

/** A transcript line that is not a comment, a blank, nor `[time] C:|S: text`. */
export class TranscriptSyntaxError extends Error {
  readonly code = 'ERR_IMPORT_TRANSCRIPT_SYNTAX';
}

const LINE = /^(?:(\d{4}-\d\d-\d\dT[\d:.]+Z) )?([CS]): ?(.*)$/;

/** Parses a transcript back into chunks, one per line. Times default to `defaultAt`. */
export function parseTranscript(text: string, defaultAt = Date.now()): TranscriptChunk[] {
  const out: TranscriptChunk[] = [];
  let lastAt = defaultAt;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const l = (lines[i] as string).replace(/\r$/, '');
    if (l === '' || l.startsWith('#')) continue;
    const m = LINE.exec(l);
    if (!m) throw new TranscriptSyntaxError(`line ${i + 1}: expected "C: …" or "S: …"`);
    if (m[1] !== undefined) lastAt = Date.parse(m[1]);
    out.push({ direction: m[2] === 'C' ? 'c2s' : 's2c', at: lastAt, data: unescapeLine(m[3]!) });
  }
  return out;
}

function unescapeLine(body: string): Buffer {
  let open = false;
  if (/(?:^|[^\\])(?:\\\\)*\\$/.test(body)) {
    open = true;
    body = body.slice(0, -1);
  }
  const parts: Buffer[] = [];
  let plain = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== '\\') {
      plain += c;
      continue;
    }
    const n = body[i + 1];
    let byte: number;
    if (n === '\\') byte = 0x5c;
    else if (n === 'n') byte = 0x0a;
    else if (n === 'x' && /^[0-9a-f]{2}$/i.test(body.slice(i + 2, i + 4))) {
      byte = parseInt(body.slice(i + 2, i + 4), 16);
      i += 2;
    } else {
      plain += c;
      continue;
    }
    i += 1;
    parts.push(Buffer.from(plain, 'utf8'), Buffer.from([byte]));
    plain = '';
  }
  parts.push(Buffer.from(plain, 'utf8'));
  const bytes = Buffer.concat(parts);
  if (open || bytes[bytes.length - 1] === 0x0a) return bytes;
  return Buffer.concat([bytes, Buffer.from('\r\n')]);
}
