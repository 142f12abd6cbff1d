/**
 * A minimal IMAP line finder for the net layer's STARTTLS watcher (starttls.ts, used with
 * --client-tls starttls until login: the part of following the transport that must act on the
 * sockets; inspection finds COMPRESS and STARTTLS with its own decoder and tracker): it finds
 * where each line ends in a byte stream and skips literal bodies (`{n}`, `{n+}`, `{n-}`,
 * `~{n}`) by count, so text inside a message body never looks like a command. It keeps only
 * the head and the tail of the current line, never the line itself. It is not the framer
 * (proxy/wire): it knows no grammar and cannot tell when a synchronizing literal was refused.
 */

/** How much of a line's start is kept: enough for a tag and a short command or status. */
export const LINE_HEAD_BYTES = 96;
const TAIL_BYTES = 24;
const LITERAL_AT_END = /\{(\d{1,10})[+-]?\}\r?\n$/;

/** One complete line found in a chunk. */
export interface ScannedLine {
  /** The line's first LINE_HEAD_BYTES bytes (latin1), CRLF included when the line is that short. */
  head: string;
  /** Offset in the chunk just past the line's LF. */
  end: number;
  /** The line continues a message after a literal (its head is not a tag). */
  continuation: boolean;
}

export class LineScanner {
  private head = '';
  private tail = '';
  private literalLeft = 0;
  private continuation = false;

  /**
   * Returns the next line that ends in `chunk` at or after `from`, or null when the chunk
   * ends first (the partial line is remembered for the next chunk).
   */
  next(chunk: Buffer, from = 0): ScannedLine | null {
    let pos = from;
    while (pos < chunk.length) {
      if (this.literalLeft > 0) {
        const take = Math.min(this.literalLeft, chunk.length - pos);
        this.literalLeft -= take;
        pos += take;
        continue;
      }
      const nl = chunk.indexOf(0x0a, pos);
      const end = nl < 0 ? chunk.length : nl + 1;
      if (this.head.length < LINE_HEAD_BYTES) {
        this.head += chunk.toString(
          'latin1',
          pos,
          Math.min(end, pos + LINE_HEAD_BYTES - this.head.length),
        );
      }
      this.tail = (
        this.tail + chunk.toString('latin1', Math.max(pos, end - TAIL_BYTES), end)
      ).slice(-TAIL_BYTES);
      pos = end;
      if (nl < 0) return null;
      const line: ScannedLine = { head: this.head, end, continuation: this.continuation };
      const literal = LITERAL_AT_END.exec(this.tail);
      this.continuation = literal !== null;
      this.literalLeft = literal ? Number(literal[1]) : 0;
      this.head = '';
      this.tail = '';
      return line;
    }
    return null;
  }
}

/** `tag COMMAND` at the start of a line head, upper-cased; null for continuation or short heads. */
export function commandOf(line: ScannedLine): { tag: string; name: string; rest: string } | null {
  if (line.continuation) return null;
  const m = /^([^\s(){%*"\\\]+]+) ([A-Za-z]+)(.*)$/s.exec(line.head);
  if (!m) return null;
  return { tag: m[1]!, name: m[2]!.toUpperCase(), rest: m[3]!.replace(/\r?\n$/, '') };
}

/** The status of a tagged response `tag OK|NO|BAD`, or null when the line is not one for `tag`. */
export function taggedStatus(line: ScannedLine, tag: string): 'OK' | 'NO' | 'BAD' | null {
  if (line.continuation || !line.head.startsWith(`${tag} `)) return null;
  const m = /^(OK|NO|BAD)\b/i.exec(line.head.slice(tag.length + 1));
  return m ? (m[1]!.toUpperCase() as 'OK' | 'NO' | 'BAD') : null;
}
