/**
 * Untagged responses of extensions (ESEARCH/CONTEXT/PARTIAL, SORT, THREAD, METADATA, QUOTA,
 * ACL, STATUS with OBJECTID/APPENDLIMIT): typed shapes from the response's tokens. A token of
 * the wrong shape fails the message (values.ts), so a real grammar error is still Malformed.
 */
import type {
  EsearchUpdate,
  QuotaResource,
  ThreadNode,
  Token,
  UntaggedData,
} from '../../shared/messages.ts';
import { fail } from './tokens.ts';
import { mailboxName } from './utf7.ts';
import { bigNum, count, items, nitems, nstr, num, scalar, str } from './values.ts';

const upper = (tok: Token | undefined): string => str(tok).toUpperCase();

/** The decoders by response name; response.ts tries these before the generic form. */
export const EXTENSION_RESPONSES: ReadonlyMap<string, (args: Token[]) => UntaggedData> = new Map([
  ['ESEARCH', esearch],
  ['SORT', sort],
  ['THREAD', thread],
  ['METADATA', metadata],
  ['QUOTA', quota],
  ['QUOTAROOT', quotaRoot],
  ['ACL', acl],
  ['LISTRIGHTS', listRights],
  ['MYRIGHTS', myRights],
  ['STATUS', status],
]);

/**
 * `* ESEARCH [(TAG "t" [MAILBOX m UIDVALIDITY n])] [UID] *(name value)`. A value is a number,
 * a set, or a list for ADDTO/REMOVEFROM `(position set)`, PARTIAL `(range set|NIL)`,
 * RELEVANCY `(score…)`; other list values are kept in `extra`.
 */
export function esearch(args: Token[]): UntaggedData {
  const out: Extract<UntaggedData, { kind: 'esearch' }> = {
    kind: 'esearch',
    tag: null,
    mailbox: null,
    uidValidity: null,
    uid: false,
    items: {},
    updates: [],
    partial: null,
    relevancy: null,
    extra: [],
  };
  let i = 0;
  const first = args[0];
  if (first?.type === 'list') {
    const c = first.items;
    for (let k = 0; k + 1 < c.length; k += 2) {
      const key = upper(c[k]);
      if (key === 'TAG') out.tag = nstr(c[k + 1]);
      else if (key === 'MAILBOX') out.mailbox = nstr(c[k + 1]);
      else if (key === 'UIDVALIDITY') out.uidValidity = num(c[k + 1]);
    }
    i = 1;
  }
  const next = args[i];
  if (next?.type === 'atom' && next.value.toUpperCase() === 'UID') {
    out.uid = true;
    i++;
  }
  if ((args.length - i) % 2 !== 0) fail('ESEARCH return data without a value');
  for (; i < args.length; i += 2) {
    const name = upper(args[i]);
    const value = args[i + 1] as Token;
    if (value.type !== 'list') {
      out.items[name] = scalar(value);
      continue;
    }
    const v = value.items;
    if (name === 'ADDTO' || name === 'REMOVEFROM') {
      // RFC 5267 §4.3: one or more `position set` pairs in one list.
      if (v.length === 0 || v.length % 2 !== 0) fail(`${name} needs (position set) pairs`);
      for (let k = 0; k < v.length; k += 2) {
        const update: EsearchUpdate = { op: name, position: num(v[k]), set: str(v[k + 1]) };
        out.updates.push(update);
      }
    } else if (name === 'PARTIAL') {
      if (v.length !== 2) fail('PARTIAL needs (range set)');
      out.partial = { range: str(v[0]), set: nstr(v[1]) };
    } else if (name === 'RELEVANCY') {
      out.relevancy = v.map(num);
    } else out.extra.push({ name, value });
  }
  return out;
}

/** `* SORT 2 3 6 [(MODSEQ n)]` (RFC 5256, CONDSTORE adds the mod-sequence). */
function sort(args: Token[]): UntaggedData {
  const numbers: number[] = [];
  let modseq: string | null = null;
  for (const t of args) {
    if (t.type === 'number') numbers.push(t.value);
    else if (t.type === 'list' && upper(t.items[0]) === 'MODSEQ') modseq = bigNum(t.items[1]);
    else fail(`unexpected ${t.type} in SORT`);
  }
  return { kind: 'sort', numbers, modseq };
}

/** `* THREAD (2)(3 6 (4 23)(44 7 96))`: each list is one thread (RFC 5256 §4). */
function thread(args: Token[]): UntaggedData {
  return { kind: 'thread', threads: args.map((t) => threadList(items(t))) };
}

/** Numbers chain parent → child; nested lists are siblings under the last number. */
function threadList(members: Token[]): ThreadNode {
  if (members[0]?.type === 'list') {
    // A thread whose root is missing: its subthreads are siblings under no message.
    return { uid: null, children: members.map((t) => threadList(items(t))) };
  }
  const root: ThreadNode = { uid: num(members[0]), children: [] };
  let tail = root;
  for (const t of members.slice(1)) {
    if (t.type === 'list') tail.children.push(threadList(t.items));
    else {
      const node: ThreadNode = { uid: num(t), children: [] };
      tail.children.push(node);
      tail = node;
    }
  }
  return root;
}

/** `* METADATA mbox (entry value …)` or, unsolicited, `* METADATA mbox entry entry…` (RFC 5464 §4.4). */
function metadata(args: Token[]): UntaggedData {
  const mailbox = mailboxName(str(args[0]));
  const values: { entry: string; value: string | null }[] = [];
  const changed: string[] = [];
  const second = args[1];
  if (second?.type === 'list') {
    const v = second.items;
    if (v.length % 2 !== 0) fail('METADATA entry without a value');
    for (let k = 0; k < v.length; k += 2) values.push({ entry: str(v[k]), value: nstr(v[k + 1]) });
  } else for (const t of args.slice(1)) changed.push(str(t));
  return { kind: 'metadata', mailbox, values, changed };
}

/** `* QUOTA root (STORAGE 10 512 MESSAGE 1 100)` (RFC 9208 §5.1). */
function quota(args: Token[]): UntaggedData {
  const list = items(args[1]);
  if (list.length % 3 !== 0) fail('QUOTA resources come in threes: name usage limit');
  const resources: QuotaResource[] = [];
  for (let k = 0; k < list.length; k += 3) {
    resources.push({ name: upper(list[k]), usage: count(list[k + 1]), limit: count(list[k + 2]) });
  }
  return { kind: 'quota', root: str(args[0]), resources };
}

/** `* QUOTAROOT mailbox root…` (RFC 9208 §5.2). */
function quotaRoot(args: Token[]): UntaggedData {
  return { kind: 'quotaroot', mailbox: mailboxName(str(args[0])), roots: args.slice(1).map(str) };
}

/** `* ACL mailbox (identifier rights)…` (RFC 4314 §3.6). */
function acl(args: Token[]): UntaggedData {
  if (args.length % 2 !== 1) fail('ACL identifier without rights');
  const entries: { identifier: string; rights: string }[] = [];
  for (let k = 1; k < args.length; k += 2) {
    entries.push({ identifier: str(args[k]), rights: str(args[k + 1]) });
  }
  return { kind: 'acl', mailbox: mailboxName(str(args[0])), entries };
}

/** `* LISTRIGHTS mailbox identifier required optional…` (RFC 4314 §3.7). */
function listRights(args: Token[]): UntaggedData {
  return {
    kind: 'listrights',
    mailbox: mailboxName(str(args[0])),
    identifier: str(args[1]),
    required: str(args[2]),
    optional: args.slice(3).map(str),
  };
}

/** `* MYRIGHTS mailbox rights` (RFC 4314 §3.8). */
function myRights(args: Token[]): UntaggedData {
  if (args.length !== 2) fail('MYRIGHTS takes a mailbox and rights');
  return { kind: 'myrights', mailbox: mailboxName(str(args[0])), rights: str(args[1]) };
}

/**
 * `* STATUS mailbox (name value …)`: numbers (big ones as text), MAILBOXID `(id)` (RFC 8474) as
 * its id, APPENDLIMIT NIL (RFC 7889) as null.
 */
function status(args: Token[]): UntaggedData {
  const list = nitems(args[1]) ?? [];
  if (list.length % 2 !== 0) fail('STATUS item without a value');
  const out: Record<string, number | string | null> = {};
  for (let k = 0; k < list.length; k += 2) {
    const value = list[k + 1] as Token;
    out[upper(list[k])] =
      value.type === 'nil' ? null : value.type === 'list' ? str(value.items[0]) : scalar(value);
  }
  return { kind: 'mailbox-status', mailbox: mailboxName(str(args[0])), items: out };
}
