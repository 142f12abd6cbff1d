/**
 * Where a decoded message keeps its literals. One typed walk for every reader (the masking of
 * LOGIN/AUTHENTICATE, the export's byte reconstruction, the REST literal route and the viewer's
 * inspector), so they agree on which literal is number n of a message.
 */
import { assertNever } from './events.ts';
import type {
  BodyStructure,
  FetchAttribute,
  LiteralRef,
  Message,
  NString,
  Token,
  UntaggedData,
} from './messages.ts';

/** Every literal of a token tree, in document order, appended to `into`. */
export function tokenLiterals(tokens: readonly Token[], into: LiteralRef[] = []): LiteralRef[] {
  for (const t of tokens) {
    if (t.type === 'literal') into.push(t.literal);
    else if (t.type === 'list') tokenLiterals(t.items, into);
  }
  return into;
}

/**
 * Every literal of a message in stream order (by offset): command arguments, FETCH bodies and
 * previews, and response data kept as tokens. Mailbox names, envelopes and other strings sent
 * as literals are decoded to text; their literals are not kept and not listed. Index n of this
 * list is the literal the REST route `…/events/:seq/literals/:n` serves.
 */
export function messageLiterals(m: Message): LiteralRef[] {
  const out: LiteralRef[] = [];
  switch (m.type) {
    case 'command':
      tokenLiterals(m.args, out);
      break;
    case 'untagged':
      dataLiterals(m.data, out);
      break;
    case 'sasl-response':
    case 'idle-done':
    case 'greeting':
    case 'tagged':
    case 'continuation':
    case 'malformed':
      return out;
    default:
      assertNever(m);
  }
  return out.length > 1 ? out.sort((a, b) => a.offset - b.offset) : out;
}

function dataLiterals(d: UntaggedData, out: LiteralRef[]): void {
  switch (d.kind) {
    case 'list':
    case 'lsub':
      tokenLiterals(d.extended, out);
      return;
    case 'namespace':
      for (const group of [d.personal, d.other, d.shared])
        for (const entry of group ?? []) tokenLiterals(entry.extensions, out);
      return;
    case 'esearch':
      tokenLiterals(
        d.extra.map((x) => x.value),
        out,
      );
      return;
    case 'fetch':
      for (const a of d.attributes) fetchLiterals(a, out);
      return;
    case 'unknown':
      tokenLiterals(d.args, out);
      return;
    default:
      // The other kinds hold numbers, flags and decoded strings only.
      return;
  }
}

function fetchLiterals(a: FetchAttribute, out: LiteralRef[]): void {
  switch (a.kind) {
    case 'body-section':
    case 'preview':
      nstringLiteral(a.value, out);
      return;
    case 'bodystructure':
      structureLiterals(a.structure, out);
      return;
    case 'unknown':
      if (a.value) tokenLiterals([a.value], out);
      return;
    default:
      return;
  }
}

function nstringLiteral(v: NString, out: LiteralRef[]): void {
  if (v.type === 'literal') out.push(v.literal);
}

function structureLiterals(s: BodyStructure, out: LiteralRef[]): void {
  if (s.kind === 'multipart') for (const p of s.parts) structureLiterals(p, out);
  else if (s.body) structureLiterals(s.body, out);
  if (s.extra) tokenLiterals(s.extra, out);
}
