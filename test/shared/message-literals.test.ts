import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { LiteralRef, Message } from '../../shared/messages.ts';
import { messageLiterals } from '../../shared/message-literals.ts';
import { parseTranscript, readTranscript, runTranscript, whole } from '../wire/transcript.ts';

/** The oracle: every `{ type: 'literal', literal }` anywhere in the decoded tree, by offset. */
function everyLiteralInTheTree(m: Message): LiteralRef[] {
  const out: LiteralRef[] = [];
  const walk = (v: unknown): void => {
    if (v === null || typeof v !== 'object' || v instanceof Uint8Array) return;
    if (Array.isArray(v)) return v.forEach(walk);
    const o = v as Record<string, unknown>;
    if (o.type === 'literal' && typeof o.literal === 'object') out.push(o.literal as LiteralRef);
    else Object.values(o).forEach(walk);
  };
  walk(m);
  return out.sort((a, b) => a.offset - b.offset);
}

function decode(transcript: string): Message[] {
  const d = runTranscript(parseTranscript(transcript), whole);
  return [...d.c2s, ...d.s2c];
}

const rfcFiles = readdirSync(new URL('../fixtures/rfc/', import.meta.url)).filter((f) =>
  f.endsWith('.txt'),
);

describe('messageLiterals', () => {
  it.each(rfcFiles)('finds every literal the decoded messages of %s hold', (file) => {
    const d = runTranscript(readTranscript(file), whole);
    for (const m of [...d.c2s, ...d.s2c])
      expect(messageLiterals(m)).toEqual(everyLiteralInTheTree(m));
  });

  it('finds literals in command lists, FETCH bodies and previews, BODYSTRUCTURE extensions and unknown data', () => {
    const messages = decode(
      [
        'C: a1 LOGIN {5}',
        'S: + go',
        'C: alice {6}',
        'S: + go',
        'C: secret',
        'S: a1 OK in',
        'C: a2 SEARCH HEADER Subject {3}',
        'S: + go',
        'C: abc',
        'S: * 1 FETCH (PREVIEW {4}',
        'S: abcd BODY[] {2}',
        'S: hi BODYSTRUCTURE (("TEXT" "PLAIN" NIL NIL NIL "7BIT" 1 1)("TEXT" "HTML" NIL NIL NIL "7BIT" 1 1) "MIXED" NIL NIL NIL NIL {3}',
        'S: ext))',
        'S: * XFOO 3 (a {1}',
        'S: b)',
        'S: a2 OK done',
      ].join('\n'),
    );
    const sizes = messages.map((m) => messageLiterals(m).map((l) => l.size));
    expect(sizes.filter((s) => s.length > 0)).toEqual([[5, 6], [3], [4, 2, 3], [1]]);
    for (const m of messages) expect(messageLiterals(m)).toEqual(everyLiteralInTheTree(m));
  });
});
