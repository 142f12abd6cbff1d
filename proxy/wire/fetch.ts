/**
 * FETCH data items (RFC 3501 §7.4.2, RFC 9051 §7.5.2, BINARY, CONDSTORE, PREVIEW, OBJECTID,
 * SAVEDATE): typed attributes from the token list of `* n FETCH (...)`. Unknown items are kept raw.
 */
import type {
  Address,
  BodyStructure,
  Disposition,
  Envelope,
  FetchAttribute,
  NString,
  Token,
} from '../../shared/messages.ts';
import { fail } from './tokens.ts';
import { bigNum, flags, items, nitems, nstr, num, params, str } from './values.ts';

/** Typed attributes of a FETCH response's item list. */
export function fetchAttributes(list: Token[]): FetchAttribute[] {
  const out: FetchAttribute[] = [];
  for (let i = 0; i < list.length; i += 2) {
    const name = list[i] as Token;
    const value = list[i + 1];
    if (name.type === 'section') {
      if (name.name === 'BINARY.SIZE') {
        out.push({ kind: 'binary-size', section: name.section, value: num(value) });
      } else {
        out.push({
          kind: 'body-section',
          name: name.name,
          section: name.section,
          origin: name.partial?.origin ?? null,
          value: nstringOf(value),
        });
      }
      continue;
    }
    if (name.type !== 'atom') fail(`expected a FETCH item name, got ${name.type}`);
    const key = name.value.toUpperCase();
    out.push(fetchAttribute(key, value));
  }
  return out;
}

function fetchAttribute(key: string, value: Token | undefined): FetchAttribute {
  switch (key) {
    case 'FLAGS':
      return { kind: 'flags', flags: flags(value) };
    case 'UID':
      return { kind: 'uid', value: num(value) };
    case 'RFC822.SIZE':
      return { kind: 'rfc822-size', value: num(value) };
    case 'INTERNALDATE':
      return { kind: 'internaldate', value: str(value) };
    case 'ENVELOPE':
      return { kind: 'envelope', envelope: envelope(value) };
    case 'BODYSTRUCTURE':
    case 'BODY':
      return { kind: 'bodystructure', extensible: key === 'BODYSTRUCTURE', structure: body(value) };
    case 'MODSEQ':
      return { kind: 'modseq', value: bigNum(items(value)[0]) };
    case 'PREVIEW':
      return { kind: 'preview', value: nstringOf(value) };
    case 'EMAILID':
    case 'THREADID':
      // RFC 8474: `(objectid)`; THREADID is NIL for a message in no thread.
      return {
        kind: key === 'EMAILID' ? 'emailid' : 'threadid',
        value: value?.type === 'nil' ? null : str(items(value)[0]),
      };
    case 'SAVEDATE':
      return { kind: 'savedate', value: nstr(value) };
    case 'RFC822':
    case 'RFC822.HEADER':
    case 'RFC822.TEXT':
      return {
        kind: 'body-section',
        name: key,
        section: null,
        origin: null,
        value: nstringOf(value),
      };
    default:
      return { kind: 'unknown', name: key, value: value ?? null };
  }
}

function nstringOf(tok: Token | undefined): NString {
  if (tok?.type === 'nil' || tok?.type === 'quoted' || tok?.type === 'literal') return tok;
  return fail(`expected NIL, a string or a literal, got ${tok?.type ?? 'nothing'}`);
}

/** An ENVELOPE list of ten fields. */
export function envelope(tok: Token | undefined): Envelope {
  const f = items(tok);
  if (f.length < 10) fail(`ENVELOPE has ${f.length} fields, not 10`);
  return {
    date: nstr(f[0]),
    subject: nstr(f[1]),
    from: addresses(f[2]),
    sender: addresses(f[3]),
    replyTo: addresses(f[4]),
    to: addresses(f[5]),
    cc: addresses(f[6]),
    bcc: addresses(f[7]),
    inReplyTo: nstr(f[8]),
    messageId: nstr(f[9]),
  };
}

function addresses(tok: Token | undefined): Address[] | null {
  const list = nitems(tok);
  if (list === null) return null;
  return list.map((a) => {
    const f = items(a);
    return { name: nstr(f[0]), adl: nstr(f[1]), mailbox: nstr(f[2]), host: nstr(f[3]) };
  });
}

/**
 * A BODY / BODYSTRUCTURE, nested to any depth the tokenizer allowed. Extension fields a server
 * left out are null; extension data past location is kept as tokens.
 */
export function body(tok: Token | undefined): BodyStructure {
  const f = items(tok);
  if (f[0]?.type === 'list') {
    let i = 0;
    const parts: BodyStructure[] = [];
    while (f[i]?.type === 'list') parts.push(body(f[i++]));
    const subtype = (nstr(f[i]) ?? '').toUpperCase();
    return {
      kind: 'multipart',
      parts,
      subtype,
      params: params(f[i + 1]),
      disposition: disposition(f[i + 2]),
      language: language(f[i + 3]),
      location: nstr(f[i + 4]),
      extra: f.length > i + 5 ? f.slice(i + 5) : null,
    };
  }
  const type = (nstr(f[0]) ?? '').toUpperCase();
  const subtype = (nstr(f[1]) ?? '').toUpperCase();
  let i = 7;
  let lines: number | null = null;
  let env: Envelope | null = null;
  let inner: BodyStructure | null = null;
  if (
    type === 'MESSAGE' &&
    (subtype === 'RFC822' || subtype === 'GLOBAL') &&
    f[7]?.type === 'list'
  ) {
    env = envelope(f[7]);
    inner = body(f[8]);
    lines = f[9]?.type === 'number' ? f[9].value : null;
    i = 10;
  } else if (type === 'TEXT') {
    lines = f[7]?.type === 'number' ? f[7].value : null;
    i = 8;
  }
  return {
    kind: 'single',
    type,
    subtype,
    params: params(f[2]),
    id: nstr(f[3]),
    description: nstr(f[4]),
    encoding: nstr(f[5]),
    size: f[6]?.type === 'number' ? f[6].value : 0,
    lines,
    envelope: env,
    body: inner,
    md5: nstr(f[i]),
    disposition: disposition(f[i + 1]),
    language: language(f[i + 2]),
    location: nstr(f[i + 3]),
    extra: f.length > i + 4 ? f.slice(i + 4) : null,
  };
}

function disposition(tok: Token | undefined): Disposition | null {
  const list = nitems(tok);
  if (list === null) return null;
  return { type: str(list[0]).toUpperCase(), params: params(list[1]) };
}

function language(tok: Token | undefined): string[] | null {
  if (tok === undefined || tok.type === 'nil') return null;
  if (tok.type === 'list') return tok.items.map(str);
  return [str(tok)];
}
