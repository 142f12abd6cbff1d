/**
 * C:/S: transcripts (test/fixtures/rfc) fed through one WireDecoder per direction, with the few
 * tracker decisions the framer needs: SASL mode during AUTHENTICATE, IDLE mode after IDLE,
 * refusing a sync literal the server answered with NO/BAD, and accepting a `{0}` on `+`.
 */
import { readFileSync } from 'node:fs';
import type { Direction } from '../../shared/direction.ts';
import type { Message } from '../../shared/messages.ts';
import { WireDecoder } from '../../proxy/wire/index.ts';

export interface Entry {
  direction: Direction;
  bytes: Buffer;
}

/** Consecutive lines of one direction become one entry (one burst of bytes). */
export function parseTranscript(text: string): Entry[] {
  const entries: Entry[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([CS]):(?: (.*))?$/s.exec(line);
    if (m === null) throw new Error(`not a transcript line: ${line}`);
    const direction: Direction = m[1] === 'C' ? 'c2s' : 's2c';
    const bytes = Buffer.from(`${m[2] ?? ''}\r\n`);
    const last = entries.at(-1);
    if (last?.direction === direction) last.bytes = Buffer.concat([last.bytes, bytes]);
    else entries.push({ direction, bytes });
  }
  return entries;
}

export function readTranscript(name: string): Entry[] {
  return parseTranscript(readFileSync(new URL(`../fixtures/rfc/${name}`, import.meta.url), 'utf8'));
}

export interface Decoded {
  c2s: Message[];
  s2c: Message[];
}

/** How an entry's bytes are cut into pushes. */
export type Splitter = (bytes: Buffer) => Buffer[];

export const whole: Splitter = (b) => [b];
export const byteByByte: Splitter = (b) => Array.from(b, (_, i) => b.subarray(i, i + 1));

/** A splitter cutting at pseudo-random points (deterministic per seed). */
export function randomSplits(seed: number): Splitter {
  let x = seed >>> 0 || 1;
  const next = (): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
  return (b) => {
    const out: Buffer[] = [];
    let i = 0;
    while (i < b.length) {
      const n = 1 + Math.floor(next() * Math.min(b.length - i, 1 + next() * 64));
      out.push(b.subarray(i, i + n));
      i += n;
    }
    return out;
  };
}

/** Runs a transcript through both decoders in order, applying the minimal tracker rules. */
export function runTranscript(entries: Entry[], split: Splitter): Decoded {
  const c2s = new WireDecoder('c2s');
  const s2c = new WireDecoder('s2c');
  const out: Decoded = { c2s: [], s2c: [] };
  const completedTags = new Set<string>();
  let saslTag: string | null = null;
  const onClient = (messages: Message[]): void => {
    for (const m of messages) {
      out.c2s.push(m);
      if (m.type !== 'command') continue;
      completedTags.add(m.tag);
      if (m.name === 'AUTHENTICATE') {
        saslTag = m.tag;
        c2s.setMode('sasl');
      } else if (m.name === 'IDLE') c2s.setMode('idle');
    }
  };
  const onServer = (messages: Message[]): void => {
    for (const m of messages) {
      out.s2c.push(m);
      // A `{0}` has no body: the server's `+` completes it (the framer waits until told).
      if (m.type === 'continuation') onClient(c2s.acceptLiteral());
      if (m.type !== 'tagged') continue;
      if (m.tag === saslTag) {
        saslTag = null;
        c2s.setMode('normal');
      }
      if (m.status !== 'OK' && !completedTags.has(m.tag) && c2s.pendingSyncLiteral !== null) {
        onClient(c2s.refuseLiteral());
      }
    }
  };
  for (const entry of entries) {
    for (const chunk of split(entry.bytes)) {
      if (entry.direction === 'c2s') onClient(c2s.push(chunk));
      else onServer(s2c.push(chunk));
    }
  }
  onClient(c2s.end());
  onServer(s2c.end());
  return out;
}

/** A one-line summary of a message, for readable snapshots. */
export function summary(m: Message): string {
  switch (m.type) {
    case 'command':
      return `C ${m.tag} ${m.uid ? 'UID ' : ''}${m.name} [${m.args.map((a) => a.type).join(' ')}]`;
    case 'sasl-response':
      return `C sasl ${m.cancel ? 'cancel' : `${m.text.length} chars`}`;
    case 'idle-done':
      return 'C DONE';
    case 'greeting':
      return `S greeting ${m.status}${m.code ? ` [${m.code.kind} ${m.code.name}]` : ''}`;
    case 'tagged':
      return `S ${m.tag} ${m.status}${m.code ? ` [${m.code.kind} ${m.code.name}]` : ''}`;
    case 'untagged':
      return `S * ${m.data.kind}${m.data.kind === 'status' && m.data.code ? ` [${m.data.code.kind} ${m.data.code.name}]` : ''}`;
    case 'continuation':
      return `S + ${m.text}`;
    case 'malformed':
      return `${m.direction} MALFORMED ${m.code} ${m.reason}`;
  }
}
