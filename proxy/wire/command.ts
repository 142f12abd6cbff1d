/**
 * Client messages: tagged commands (RFC 3501 §6, RFC 9051 §6), and the untagged lines the
 * tracker announces through the framer's mode (AUTHENTICATE responses, IDLE's DONE).
 */
import type { Message, MessageBase, Token } from '../../shared/messages.ts';
import type { FramerMode } from './framer.ts';
import { type Reader, fail } from './tokens.ts';

/** Commands whose first argument is a sequence set, even a plain number. */
const SET_FIRST = new Set(['FETCH', 'STORE', 'COPY', 'MOVE']);
/** Commands in whose arguments an atom shaped like a sequence set is one. */
const SET_ANYWHERE = new Set([
  'FETCH',
  'STORE',
  'COPY',
  'MOVE',
  'SEARCH',
  'SORT',
  'THREAD',
  'EXPUNGE',
]);
const SEQUENCE_SET = /^(?:(?:\d+|\*)(?::(?:\d+|\*))?)(?:,(?:\d+|\*)(?::(?:\d+|\*))?)*$|^\$$/;
/** tag = 1*<any ASTRING-CHAR except "+">: printable ASCII without SP ( ) { % * " \\ + */
const TAG = /^[!#$&'\x2c-\x5b\x5d-\x7a|}~-]+$/;

/** What the first words of a client line say, before (or without) the rest decoding. */
export interface CommandHead {
  /** c2s stream offset of the command's first byte. */
  offset: number;
  tag: string;
  /** Upper-cased; for `UID FETCH` this is `FETCH` and `uid` is true. */
  name: string;
  uid: boolean;
}

const HEAD = /^(\S+) +(?:(UID) +)?([A-Za-z][A-Za-z0-9.-]*)(?= |$|\r)/i;

/**
 * The tag and name at the start of `line` (a command whose rest has not come or does not
 * decode), or null when they do not read as a tag and a command name. Only the first 256
 * characters are looked at.
 */
export function commandHead(line: string, offset: number): CommandHead | null {
  const m = HEAD.exec(line.length > 256 ? line.slice(0, 256) : line);
  if (m === null) return null;
  const tag = m[1] as string;
  if (!TAG.test(tag)) return null;
  return { offset, tag, name: (m[3] as string).toUpperCase(), uid: m[2] !== undefined };
}

export function decodeCommand(r: Reader, base: MessageBase, mode: FramerMode): Message {
  if (mode === 'sasl') {
    const text = r.rest();
    return { ...base, type: 'sasl-response', text, cancel: text === '*' };
  }
  if (mode === 'idle') {
    const text = r.rest();
    if (text.toUpperCase() === 'DONE') return { ...base, type: 'idle-done' };
    return {
      ...base,
      type: 'malformed',
      code: 'ERR_WIRE_EXPECTED_DONE',
      reason: 'IDLE ends with DONE',
    };
  }
  const tag = r.word();
  if (!TAG.test(tag)) fail(`invalid tag ${JSON.stringify(tag.slice(0, 40))}`);
  r.sp();
  let name = r.word().toUpperCase();
  let uid = false;
  if (name === 'UID') {
    r.sp();
    name = r.word().toUpperCase();
    uid = true;
  }
  const args = r.tokensToEnd();
  if (SET_ANYWHERE.has(name)) {
    for (let i = 0; i < args.length; i++)
      args[i] = asSet(args[i] as Token, i === 0 && SET_FIRST.has(name));
    if (uid && name === 'EXPUNGE' && args[0] !== undefined) args[0] = asSet(args[0], true);
  }
  return { ...base, type: 'command', tag, name, uid, args };
}

function asSet(t: Token, force: boolean): Token {
  if (t.type === 'number' && force) return { type: 'sequence-set', value: String(t.value) };
  if (t.type === 'atom' && SEQUENCE_SET.test(t.value))
    return { type: 'sequence-set', value: t.value };
  if (t.type === 'list') return { type: 'list', items: t.items.map((i) => asSet(i, false)) };
  return t;
}
