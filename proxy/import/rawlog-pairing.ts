/**
 * A rawlog pair without timestamps (Dovecot's `rawlog` program writes none unless given `-t`)
 * says what each side sent, never when. This puts the two directions back in the order the
 * protocol implies, using the tags:
 *
 * - the server's greeting first (or, in a post-login rawlog, the server's lines up to the
 *   completion of the login command that imap-login received and this pair does not hold);
 * - each client command before the server lines that answer it: its untagged responses and
 *   continuations, then its tagged completion; a client that pipelined shows as one that did
 *   not, unless the server completed a later command first;
 * - the bytes after a synchronizing literal's line only after the server's `+` (and none
 *   when the server answered the tag instead: the literal never came);
 * - AUTHENTICATE's SASL lines and IDLE's DONE each after a `+`.
 *
 * Pure: bytes in, chunks out (one per message or command piece), every byte of both files
 * kept, in each file's order.
 */
import type { Direction } from '../../shared/direction.ts';

export interface PairedChunk {
  direction: Direction;
  data: Buffer;
}

/** A literal announced at the end of a line: `{n}`, `{n+}`, `~{n}`, `~{n+}`. */
const LITERAL_AT_END = /~?\{(\d{1,10})(\+?)\}\r?\n$/;

function lineEnd(buf: Buffer, pos: number): number {
  const nl = buf.indexOf(0x0a, pos);
  return nl < 0 ? buf.length : nl + 1;
}

/** The literal a line ends with, if any (its size, and whether it waits for the server's `+`). */
function literalAt(
  buf: Buffer,
  start: number,
  end: number,
): { size: number; sync: boolean } | null {
  // Only the line's tail can hold the marker; 16 bytes cover `~{4294967295+}\r\n`.
  const m = LITERAL_AT_END.exec(buf.subarray(Math.max(start, end - 16), end).toString('latin1'));
  return m ? { size: Number(m[1]), sync: m[2] !== '+' } : null;
}

interface ServerMessage {
  start: number;
  end: number;
  kind: 'untagged' | 'continuation' | 'tagged';
  tag: string;
  ok: boolean;
}

/** The server's bytes as whole messages (a line, its literals and the lines after them). */
function splitServer(buf: Buffer): ServerMessage[] {
  const out: ServerMessage[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const start = pos;
    let end = lineEnd(buf, pos);
    for (let lit = literalAt(buf, pos, end); lit; lit = literalAt(buf, pos, end)) {
      pos = Math.min(buf.length, end + lit.size);
      end = lineEnd(buf, pos);
    }
    pos = end;
    const head = buf.subarray(start, Math.min(end, start + 200)).toString('latin1');
    const [tag = '', status = ''] = head.split(/[ \r\n]/, 2);
    const kind = tag === '*' ? 'untagged' : tag === '+' ? 'continuation' : 'tagged';
    out.push({ start, end, kind, tag, ok: status.toUpperCase() === 'OK' });
  }
  return out;
}

interface ClientCommand {
  tag: string;
  name: string;
  /** Byte offsets: piece k is [cuts[k], cuts[k+1]); every piece after the first waits for `+`. */
  cuts: number[];
}

/** One client command from `pos`: its line(s) and the pieces that each wait for a `+`. */
function readCommand(buf: Buffer, pos: number): ClientCommand {
  const start = pos;
  const head = buf.subarray(start, Math.min(buf.length, start + 200)).toString('latin1');
  const [tag = '', name = ''] = head.split(/[ \r\n]/, 2);
  const cuts = [start];
  for (;;) {
    const end = lineEnd(buf, pos);
    const lit = literalAt(buf, pos, end);
    if (!lit) {
      pos = end;
      break;
    }
    if (lit.sync) cuts.push(end);
    pos = Math.min(buf.length, end + lit.size);
  }
  const upper = name.toUpperCase();
  if (upper === 'AUTHENTICATE' || upper === 'IDLE') {
    // SASL responses are one token (base64 or `*`), never `tag SP command`; DONE ends IDLE.
    while (pos < buf.length) {
      const end = lineEnd(buf, pos);
      const line = buf
        .subarray(pos, end)
        .toString('latin1')
        .replace(/\r?\n$/, '');
      if (upper === 'IDLE' ? !/^DONE$/i.test(line) : /[ \t]/.test(line)) break;
      cuts.push(pos);
      pos = end;
      if (upper === 'IDLE') break;
    }
  }
  cuts.push(pos);
  return { tag, name: upper, cuts };
}

function splitClient(buf: Buffer, from: number): ClientCommand[] {
  const out: ClientCommand[] = [];
  for (let pos = from; pos < buf.length;) {
    const cmd = readCommand(buf, pos);
    out.push(cmd);
    pos = cmd.cuts[cmd.cuts.length - 1]!;
  }
  return out;
}

/**
 * Interleaves a timestamp-less rawlog pair (client bytes `c2s`, server bytes `s2c`) in
 * protocol order; see the module comment. Total: any input yields every byte once; input that
 * does not follow IMAP order comes out server-first where the tags cannot decide.
 */
export function pairRawlogByTags(c2s: Buffer, s2c: Buffer): PairedChunk[] {
  const out: PairedChunk[] = [];
  const server = splitServer(s2c);
  let commands = splitClient(c2s, 0);
  // For each server message, the first one at or after it that is not untagged.
  const nextNonUntagged = new Array<number>(server.length + 1).fill(server.length);
  for (let i = server.length - 1; i >= 0; i--) {
    nextNonUntagged[i] = server[i]!.kind === 'untagged' ? nextNonUntagged[i + 1]! : i;
  }
  const tagsAhead = new Map<string, number>();
  const countTags = (from: number): void => {
    tagsAhead.clear();
    for (let k = from; k < commands.length; k++) {
      const t = commands[k]!.tag;
      tagsAhead.set(t, (tagsAhead.get(t) ?? 0) + 1);
    }
  };
  countTags(0);
  /** Commands sent whose completion has not come: tag → whether all their pieces were sent. */
  const inflight = new Map<string, boolean>();
  let si = 0;
  let ci = 0;
  /**
   * `cur`: the command still sending pieces (each after a `+`) and its next piece's index;
   * `plus`: a `+` came that no piece has used yet.
   */
  const st: { cur: { cmd: ClientCommand; piece: number } | null; plus: boolean } = {
    cur: null,
    plus: false,
  };
  let clientPos = 0;

  const emitServer = (m: ServerMessage): void => {
    out.push({ direction: 's2c', data: s2c.subarray(m.start, m.end) });
    si++;
  };
  const emitPiece = (cmd: ClientCommand, k: number): void => {
    const data = c2s.subarray(cmd.cuts[k]!, cmd.cuts[k + 1]!);
    if (data.length > 0) out.push({ direction: 'c2s', data });
    clientPos = cmd.cuts[k + 1]!;
    const done = k + 2 >= cmd.cuts.length;
    inflight.set(cmd.tag, done);
    st.cur = done ? null : { cmd, piece: k + 1 };
  };
  const startCommand = (): void => {
    const cmd = commands[ci++]!;
    tagsAhead.set(cmd.tag, (tagsAhead.get(cmd.tag) ?? 1) - 1);
    emitPiece(cmd, 0);
  };
  /** After STARTTLS or COMPRESS succeed the rest is ciphertext or deflate: kept, not paired. */
  const opaqueTail = (): PairedChunk[] => {
    for (; si < server.length; si++) {
      out.push({ direction: 's2c', data: s2c.subarray(server[si]!.start, server[si]!.end) });
    }
    if (clientPos < c2s.length) out.push({ direction: 'c2s', data: c2s.subarray(clientPos) });
    return out;
  };

  while (si < server.length || ci < commands.length || st.cur) {
    // A literal or a SASL line goes right after its `+`; DONE only once the server's updates
    // during IDLE are out (the client sends it whenever it likes, the server answers it).
    const idling = st.cur?.cmd.name === 'IDLE' && server[si]?.kind === 'untagged';
    if (st.cur && st.plus && !idling) {
      st.plus = false;
      emitPiece(st.cur.cmd, st.cur.piece);
      continue;
    }
    const s = server[si];
    if (s) {
      const pending = st.cur;
      if (s.kind === 'tagged') {
        const sent = inflight.get(s.tag);
        if (sent === false && pending?.cmd.tag === s.tag) {
          // Answered before the `+`: the rest of the command never came (a refused literal).
          commands = [...commands.slice(0, ci), ...splitClient(c2s, clientPos)];
          countTags(ci);
          st.cur = null;
        }
        if (sent !== undefined || !tagsAhead.get(s.tag)) {
          inflight.delete(s.tag);
          emitServer(s);
          const name = sent === undefined ? '' : lastCommandNamed(commands, ci, s.tag);
          if (s.ok && (name === 'STARTTLS' || name === 'COMPRESS')) return opaqueTail();
          continue;
        }
      } else if (s.kind === 'continuation') {
        if (pending && !st.plus) {
          st.plus = true;
          emitServer(s);
          continue;
        }
      } else {
        const next = server[nextNonUntagged[si]!];
        const leadsToOrphan = next?.kind === 'tagged' && !tagsAhead.get(next.tag);
        if (
          inflight.size > 0 ||
          pending ||
          (si === 0 && out.length === 0) ||
          ci >= commands.length ||
          leadsToOrphan
        ) {
          emitServer(s);
          continue;
        }
      }
    }
    if (!st.cur && ci < commands.length) {
      const waitsForPlus = commands[ci]!.cuts.length > 2;
      const wanted =
        !s ||
        inflight.size === 0 ||
        (s.kind === 'tagged' && (tagsAhead.get(s.tag) ?? 0) > 0) ||
        (s.kind === 'continuation' && waitsForPlus);
      if (wanted) {
        startCommand();
        continue;
      }
    }
    // Nothing the protocol allows fits: keep every byte, the server's first.
    if (s) emitServer(s);
    else if (st.cur) emitPiece(st.cur.cmd, st.cur.piece);
  }
  return out;
}

/** The name of the most recently started command with this tag. */
function lastCommandNamed(commands: ClientCommand[], before: number, tag: string): string {
  for (let k = before - 1; k >= 0; k--) if (commands[k]!.tag === tag) return commands[k]!.name;
  return '';
}
