/**
 * Decodes the protocol-coverage vectors and renders docs/protocol-coverage.md from them, so the
 * doc and the vectors cannot drift apart (the coverage test compares them).
 */
import { COMMAND_REFERENCE, RESPONSE_CODE_REFERENCE } from '../../../shared/imap-reference.ts';
import type { Direction } from '../../../shared/direction.ts';
import type { Message, ResponseCode, Token } from '../../../shared/messages.ts';
import { WireDecoder } from '../../../proxy/wire/index.ts';
import { VECTORS, type Vector } from './extensions.ts';

/** The bytes a vector stands for: s2c vectors after a greeting unless they are the greeting. */
export function vectorBytes(v: Vector): Buffer {
  const greeting = v.kind !== 'command' && v.expect !== 'greeting' ? '* OK hi\r\n' : '';
  return Buffer.from(`${greeting}${v.wire}\r\n`, 'utf8');
}

export const vectorDirection = (v: Vector): Direction => (v.kind === 'command' ? 'c2s' : 's2c');

/** Decodes a vector whole. */
export function decodeVector(v: Vector): Message[] {
  const d = new WireDecoder(vectorDirection(v));
  return [...d.push(vectorBytes(v)), ...d.end()];
}

function codeKinds(code: ResponseCode | null): string[] {
  return code === null ? [] : [`code:${code.kind}`];
}

/** What the messages decoded to: `command:NAME`, `tagged:OK`, `untagged:kind`, `fetch:kind`, `code:kind`. */
export function decodedKinds(messages: Message[]): string[] {
  const out: string[] = [];
  for (const m of messages) {
    switch (m.type) {
      case 'command':
        out.push(`command:${m.name}`);
        break;
      case 'greeting':
        out.push('greeting', ...codeKinds(m.code));
        break;
      case 'tagged':
        out.push(`tagged:${m.status}`, ...codeKinds(m.code));
        break;
      case 'untagged':
        out.push(`untagged:${m.data.kind}`);
        if (m.data.kind === 'status') out.push(...codeKinds(m.data.code));
        if (m.data.kind === 'fetch') out.push(...m.data.attributes.map((a) => `fetch:${a.kind}`));
        break;
      default:
        out.push(m.type);
    }
  }
  return out;
}

const hasTypedToken = (tokens: readonly Token[]): boolean =>
  tokens.some(
    (t) =>
      t.type === 'sequence-set' ||
      t.type === 'section' ||
      (t.type === 'list' && hasTypedToken(t.items)),
  );

export interface Coverage {
  decoded: 'typed' | 'generic';
  lintAware: boolean;
}

/**
 * How imapscope handles a row. typed: a command whose sets/sections are recognized, a response,
 * FETCH item or code with its own shape; generic: a token tree (never malformed). lint-aware:
 * a command in the known-command table, a code the NO/BAD explanations know, a response the
 * tracker acts on.
 */
export function coverage(v: Vector, messages: Message[]): Coverage {
  const last = messages.at(-1);
  const kinds = decodedKinds(messages);
  switch (v.kind) {
    case 'command': {
      const cmd = messages.find((m) => m.type === 'command');
      const typed = cmd !== undefined && hasTypedToken(cmd.args);
      return {
        decoded: typed ? 'typed' : 'generic',
        lintAware: cmd !== undefined && COMMAND_REFERENCE.has(cmd.name),
      };
    }
    case 'response':
      return {
        decoded: last?.type === 'untagged' && last.data.kind === 'unknown' ? 'generic' : 'typed',
        lintAware: v.tracked === true,
      };
    case 'fetch item':
      return {
        decoded: v.expect === 'fetch:unknown' ? 'generic' : 'typed',
        lintAware: false,
      };
    case 'response code': {
      const code = kinds.find((k) => k.startsWith('code:'));
      const name = /\[([^\s\]]+)/.exec(v.wire)?.[1]?.toUpperCase() ?? '';
      return {
        decoded: code === 'code:other' ? 'generic' : 'typed',
        lintAware: RESPONSE_CODE_REFERENCE.has(name),
      };
    }
  }
}

export interface Totals {
  malformed: number;
  rows: number;
  typed: number;
  generic: number;
  lintAware: number;
}

export function totals(rows: readonly Coverage[], malformed: number): Totals {
  return {
    malformed,
    rows: rows.length,
    typed: rows.filter((r) => r.decoded === 'typed').length,
    generic: rows.filter((r) => r.decoded === 'generic').length,
    lintAware: rows.filter((r) => r.lintAware).length,
  };
}

export const totalsLine = (t: Totals): string =>
  `**${t.rows} rows: ${t.typed} typed, ${t.generic} kept generic, ${t.lintAware} lint-aware; ${t.malformed} malformed.**`;

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\\(?=[A-Z*])/g, '\\\\');

/** The markdown of docs/protocol-coverage.md. */
export function renderCoverage(): string {
  const decoded = VECTORS.map((v) => decodeVector(v));
  const rows = VECTORS.map((v, i) => ({ v, c: coverage(v, decoded[i] as Message[]) }));
  const malformed = decoded.flat().filter((m) => m.type === 'malformed').length;
  const lines = [
    '# Protocol coverage',
    '',
    totalsLine(
      totals(
        rows.map((r) => r.c),
        malformed,
      ),
    ),
    '',
    'Every command, response, FETCH item and response code of RFC 9051 (with the RFC 3501',
    'leftovers) and of the extensions that Dovecot, Gmail, Outlook/Exchange, Cyrus and Stalwart',
    'announce. Each row names the vector in `test/wire/vectors/extensions.ts` that proves it:',
    '`test/wire/protocol-coverage.test.ts` decodes every vector whole, byte by byte and at random',
    'splits with zero malformed messages, and checks that this table lists exactly those vectors.',
    'Regenerate it with `node --import tsx test/wire/vectors/render-coverage.ts`.',
    '',
    '- **typed**: decoded into its own shape (shared/messages.ts); for a command: its sequence',
    '  sets and sections are recognized in the token tree.',
    '- **generic**: kept as its name and a token tree; well-formed, never `malformed`.',
    '- **lint-aware**: a command in the known-command table (states, arguments, announcing',
    '  capability; shared/imap-reference.ts and shared/imap-extension-commands.ts), a response',
    '  code the NO/BAD explanations know, a response the session tracker acts on.',
    '',
    '| Area | Kind | Item | Decoded | Lint-aware | Vector |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows.map(
      ({ v, c }) =>
        `| ${cell(v.area)} | ${v.kind} | ${cell(v.item)} | ${c.decoded} | ${c.lintAware ? 'yes' : '–'} | \`${v.name}\` |`,
    ),
    '',
  ];
  return lines.join('\n');
}
