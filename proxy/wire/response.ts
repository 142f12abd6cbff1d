/**
 * Server responses (RFC 3501 §7, RFC 9051 §7 and the extensions Dovecot speaks): greeting,
 * tagged completion, untagged status and data, continuation request.
 */
import type {
  Message,
  MessageBase,
  NamespaceEntry,
  ResponseCode,
  StatusCondition,
  Token,
  UntaggedData,
} from '../../shared/messages.ts';
import { EXTENSION_RESPONSES } from './extensions.ts';
import { fetchAttributes } from './fetch.ts';
import { type Reader, fail } from './tokens.ts';
import { mailboxName } from './utf7.ts';
import { bigNum, flags, items, nitems, nstr, str } from './values.ts';

const SP = 0x20;
const LBRACKET = 0x5b;
const ZERO = 0x30;
const NINE = 0x39;

const STATUS = new Set<string>(['OK', 'NO', 'BAD', 'BYE', 'PREAUTH']);

/**
 * Decodes one server message. `greeting`: this is the first message of the s2c stream, so an
 * untagged OK/PREAUTH/BYE is the greeting.
 */
export function decodeResponse(r: Reader, base: MessageBase, greeting: boolean): Message {
  if (r.peek() === 0x2b) {
    r.pos++;
    if (r.peek() === SP) r.pos++;
    return { ...base, type: 'continuation', text: r.rest() };
  }
  const tag = r.word();
  if (tag !== '*') {
    r.sp();
    const status = r.word().toUpperCase();
    if (status !== 'OK' && status !== 'NO' && status !== 'BAD') {
      fail(`tagged response with ${status}, not OK/NO/BAD`);
    }
    const { code, text } = respText(r);
    return { ...base, type: 'tagged', tag, status, code, text };
  }
  r.sp();
  const c = r.peek();
  if (c >= ZERO && c <= NINE) {
    const n = r.digits();
    r.sp();
    const name = r.word().toUpperCase();
    const data = numbered(r, n, name);
    return {
      direction: base.direction,
      offset: base.offset,
      length: base.length,
      raw: base.raw,
      bareLf: base.bareLf,
      type: 'untagged',
      data,
    };
  }
  const name = r.word().toUpperCase();
  if (STATUS.has(name)) {
    const status = name as StatusCondition;
    const { code, text } = respText(r);
    if (greeting && (status === 'OK' || status === 'PREAUTH' || status === 'BYE')) {
      return { ...base, type: 'greeting', status, code, text };
    }
    return { ...base, type: 'untagged', data: { kind: 'status', status, code, text } };
  }
  return { ...base, type: 'untagged', data: untaggedData(r, name) };
}

function numbered(r: Reader, n: number, name: string): UntaggedData {
  switch (name) {
    case 'EXISTS':
      return { kind: 'exists', value: n };
    case 'RECENT':
      return { kind: 'recent', value: n };
    case 'EXPUNGE':
      return { kind: 'expunge', value: n };
    case 'FETCH':
      r.sp();
      if (r.peek() !== 0x28) fail('FETCH data is not a list');
      return { kind: 'fetch', seq: n, attributes: fetchAttributes(items(r.list(1))) };
    default:
      return { kind: 'unknown', name, number: n, args: r.tokensToEnd() };
  }
}

function untaggedData(r: Reader, name: string): UntaggedData {
  switch (name) {
    case 'CAPABILITY':
    case 'ENABLED':
      return { kind: name === 'ENABLED' ? 'enabled' : 'capability', capabilities: words(r.rest()) };
    case 'LIST':
    case 'LSUB': {
      const args = r.tokensToEnd();
      return {
        kind: name === 'LIST' ? 'list' : 'lsub',
        attributes: flags(args[0]),
        delimiter: nstr(args[1]),
        mailbox: mailboxName(str(args[2])),
        extended: args.slice(3),
      };
    }
    case 'FLAGS':
      return { kind: 'flags', flags: flags(r.tokensToEnd()[0]) };
    case 'SEARCH':
      return search(r.tokensToEnd());
    case 'ID': {
      const list = nitems(r.tokensToEnd()[0]);
      if (list === null) return { kind: 'id', params: null };
      const out: Record<string, string | null> = {};
      for (let i = 0; i + 1 < list.length; i += 2) out[str(list[i])] = nstr(list[i + 1]);
      return { kind: 'id', params: out };
    }
    case 'NAMESPACE': {
      const args = r.tokensToEnd();
      return { kind: 'namespace', personal: ns(args[0]), other: ns(args[1]), shared: ns(args[2]) };
    }
    case 'VANISHED': {
      const args = r.tokensToEnd();
      const earlier =
        args[0]?.type === 'list' && args[0].items.some((t) => nstr(t)?.toUpperCase() === 'EARLIER');
      return { kind: 'vanished', earlier, uids: str(args[earlier ? 1 : 0]) };
    }
    default: {
      const args = r.tokensToEnd();
      const typed = EXTENSION_RESPONSES.get(name);
      return typed ? typed(args) : { kind: 'unknown', name, number: null, args };
    }
  }
}

function words(text: string): string[] {
  return text.split(' ').filter((w) => w.length > 0);
}

function search(args: Token[]): UntaggedData {
  const numbers: number[] = [];
  let modseq: string | null = null;
  for (const t of args) {
    if (t.type === 'number') numbers.push(t.value);
    else if (t.type === 'list' && nstr(t.items[0])?.toUpperCase() === 'MODSEQ')
      modseq = bigNum(t.items[1]);
    else fail(`unexpected ${t.type} in SEARCH`);
  }
  return { kind: 'search', numbers, modseq };
}

function ns(tok: Token | undefined): NamespaceEntry[] | null {
  const list = nitems(tok);
  if (list === null) return null;
  return list.map((e) => {
    const f = items(e);
    return { prefix: str(f[0]), delimiter: nstr(f[1]), extensions: f.slice(2) };
  });
}

/** `[code] text` after a status word; the code is optional, so is the text. */
export function respText(r: Reader): { code: ResponseCode | null; text: string } {
  if (r.peek() === -1) return { code: null, text: '' };
  r.sp();
  let code: ResponseCode | null = null;
  if (r.peek() === LBRACKET) {
    const close = r.text.indexOf(']', r.pos);
    if (close === -1) fail('unterminated response code');
    code = responseCode(r.buf.toString('utf8', r.pos + 1, close));
    r.pos = close + 1;
    r.skipSpaces();
  }
  return { code, text: r.rest() };
}

/** A response code from the text between its brackets. */
export function responseCode(raw: string): ResponseCode {
  const sp = raw.indexOf(' ');
  const name = (sp === -1 ? raw : raw.slice(0, sp)).toUpperCase();
  const args = sp === -1 ? '' : raw.slice(sp + 1).trim();
  const parts = words(args.replace(/[()]/g, ' '));
  const int = /^\d{1,15}$/.test(args) ? Number(args) : null;
  switch (name) {
    case 'CAPABILITY':
      return { raw, kind: 'capability', name, capabilities: parts };
    case 'PERMANENTFLAGS':
      return { raw, kind: 'permanentflags', name, flags: parts };
    case 'UIDVALIDITY':
    case 'UIDNEXT':
    case 'UNSEEN':
      if (int !== null) return { raw, kind: 'number', name, value: int };
      break;
    case 'HIGHESTMODSEQ':
      if (/^\d+$/.test(args)) return { raw, kind: 'modseq', name, value: args };
      break;
    case 'APPENDUID':
      if (parts.length === 2 && /^\d+$/.test(parts[0] as string)) {
        return {
          raw,
          kind: 'appenduid',
          name,
          uidValidity: Number(parts[0]),
          uids: parts[1] as string,
        };
      }
      break;
    case 'COPYUID':
      if (parts.length === 3 && /^\d+$/.test(parts[0] as string)) {
        const [v, sourceUids, destUids] = parts as [string, string, string];
        return { raw, kind: 'copyuid', name, uidValidity: Number(v), sourceUids, destUids };
      }
      break;
    case 'BADCHARSET':
      return { raw, kind: 'badcharset', name, charsets: parts };
    case 'MODIFIED':
      if (parts.length === 1) return { raw, kind: 'modified', name, set: parts[0] as string };
      break;
    case 'MAILBOXID':
      if (parts.length === 1) return { raw, kind: 'mailboxid', name, id: parts[0] as string };
      break;
    case 'NOUPDATE':
      if (/^"[^"]*"$/.test(args)) return { raw, kind: 'noupdate', name, tag: args.slice(1, -1) };
      break;
    case 'METADATA': {
      const [detail, n] = parts as [string | undefined, string | undefined];
      if (detail !== undefined && parts.length <= 2 && (n === undefined || /^\d{1,15}$/.test(n))) {
        const value = n === undefined ? null : Number(n);
        return { raw, kind: 'metadata', name, detail: detail.toUpperCase(), value };
      }
      break;
    }
  }
  if (args === '') return { raw, kind: 'plain', name };
  return { raw, kind: 'other', name, text: args };
}
