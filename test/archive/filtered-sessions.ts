/**
 * Generated sessions for the display-filter scan tests: a seeded mix of what the filter's
 * fields look at (NO, BAD, aborted and unknown commands, MOVE and UID MOVE, UIDs, latencies,
 * mailboxes, response codes), played through the real inspection pipeline, and the plain
 * scan of every session the lazy search must agree with.
 */
import type { FilterReader } from '../../proxy/archive/filter.ts';
import type { ImapscopeEvent } from '../../shared/events.ts';
import { matchingSeqs } from '../../shared/filter-match.ts';
import type { Hub } from '../../proxy/hub/hub.ts';
import type { Filter } from '../../shared/filter.ts';
import { parseFilter } from '../../shared/filter.ts';
import type { SessionFilter } from '../../shared/protocol.ts';
import { play } from '../hub/helpers.ts';

/** A small seeded generator (mulberry32): the same sessions and filters on every run. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Script = ['c2s' | 's2c', string][];

/** One command and its answer; `wait` untagged lines (a ms each) make its latency. */
function exchange(rand: () => number, tag: string): Script {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const uid = pick([7, 12, 4711, 90]);
  const wait: Script = Array.from({ length: Math.floor(rand() * 5) }, (_, i) => [
    's2c',
    `* ${i + 1} EXISTS\r\n`,
  ]);
  switch (pick(['fetch', 'uid-fetch', 'move', 'uid-move', 'noop', 'bad', 'no', 'copy'])) {
    case 'fetch':
      return [['c2s', `${tag} FETCH 1 (FLAGS)\r\n`], ...wait, ['s2c', `${tag} OK done\r\n`]];
    case 'uid-fetch':
      return [
        ['c2s', `${tag} UID FETCH ${uid} (FLAGS)\r\n`],
        ...wait,
        ['s2c', `* 1 FETCH (UID ${uid} FLAGS (\\Seen))\r\n${tag} OK done\r\n`],
      ];
    case 'move':
      return [['c2s', `${tag} MOVE 1 Archive\r\n`], ...wait, ['s2c', `${tag} OK moved\r\n`]];
    case 'uid-move':
      return [
        ['c2s', `${tag} UID MOVE ${uid} Archive\r\n`],
        ...wait,
        ['s2c', `* OK [COPYUID 9 ${uid} 1${uid}] Moved\r\n${tag} OK done\r\n`],
      ];
    case 'noop':
      return [['c2s', `${tag} NOOP\r\n`], ...wait, ['s2c', `${tag} OK nothing\r\n`]];
    case 'bad':
      return [
        ['c2s', `${tag} XYZZY\r\n`],
        ['s2c', `${tag} BAD unknown command\r\n`],
      ];
    case 'no':
      return [
        ['c2s', `${tag} FETCH 99 (FLAGS)\r\n`],
        ['s2c', `${tag} NO Invalid messageset\r\n`],
      ];
    default:
      return [
        ['c2s', `${tag} COPY 1 Trash\r\n`],
        ['s2c', `${tag} NO [TRYCREATE] No such mailbox\r\n`],
      ];
  }
}

/**
 * Plays `count` sessions into `hub`, ids g000… started 1 s apart (so newest first is g(count-1)
 * first); each logs in as one of five users, selects INBOX or Archive, runs 0 to 5 exchanges,
 * and some leave a command unanswered (aborted when the session closes).
 */
export function playSessions(hub: Hub, count: number, seed = 13): void {
  const rand = random(seed);
  for (let i = 0; i < count; i++) {
    const script: Script = [
      ['s2c', '* OK [CAPABILITY IMAP4rev1 UIDPLUS MOVE] ready\r\n'],
      ['c2s', `a1 LOGIN user${i % 5} secret\r\n`],
      ['s2c', 'a1 OK Logged in\r\n'],
    ];
    if (rand() < 0.8) {
      const box = rand() < 0.5 ? 'INBOX' : 'Archive';
      script.push(['c2s', `a2 SELECT ${box}\r\n`], ['s2c', '* 2 EXISTS\r\na2 OK Selected\r\n']);
    }
    const n = Math.floor(rand() * 6);
    for (let k = 0; k < n; k++) script.push(...exchange(rand, `b${k}`));
    if (rand() < 0.15) script.push(['c2s', 'c1 IDLE\r\n']);
    play(hub, `g${String(i).padStart(3, '0')}`, script, 1_000_000 + i * 1_000);
  }
}

/** Filters over every field, ANDed, ORed and negated. */
export const FILTERS = [
  'status:BAD',
  'status:NO',
  'status:aborted',
  'status:OK,aborted',
  'lint:unknown',
  'cmd:MOVE',
  'cmd:"UID MOVE"',
  'cmd:FETCH,XYZZY',
  'latency>3ms',
  'latency<=2ms',
  'latency>=4ms cmd:NOOP',
  'cmd:FETCH status:NO',
  'status:BAD OR cmd:MOVE',
  'cmd:NOOP OR uid:7',
  '-status:OK',
  'NOT cmd:LOGIN',
  'uid:4711',
  'uid:12 cmd:MOVE',
  'mailbox:archive',
  'status:BAD (cmd:XYZZY OR latency>2ms)',
  'code:TRYCREATE',
  'cmd:NOSUCH',
  'text:"2 exists" status:NO',
  'tag:c1',
];

const TERMS = [
  'status:BAD',
  'status:NO',
  'status:OK',
  'status:aborted',
  'lint:bad',
  'lint:cleartext',
  'cmd:MOVE',
  'cmd:"UID FETCH"',
  'cmd:IDLE',
  'cmd:COPY',
  'latency>2ms',
  'latency<1ms',
  'latency<=3ms',
  'uid:4711',
  'uid:1:10',
  'mailbox:trash',
  'code:TRYCREATE',
  'text:exists',
  'tag:b3',
];

/** `count` random filters of up to three levels of AND, OR and NOT over TERMS. */
export function randomFilters(count: number, seed = 7): string[] {
  const rand = random(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const node = (depth: number): string => {
    const r = rand();
    if (depth === 0 || r < 0.4) return pick(TERMS);
    if (r < 0.55) return `-(${node(depth - 1)})`;
    const items = Array.from({ length: 2 + Math.floor(rand() * 2) }, () => node(depth - 1));
    return `(${items.join(r < 0.8 ? ' ' : ' OR ')})`;
  };
  return Array.from({ length: count }, () => node(3));
}

export function filter(text: string): Filter {
  const r = parseFilter(text);
  if (!r.ok) throw new Error(`${text}: ${r.error.message}`);
  return r.filter;
}

/**
 * What a search must find: every session of the list `query` names (in its order), each read
 * through, none ruled out beforehand; as `id:rows matching`. Each session's events are read
 * once per reader and kept in `cache`.
 */
export async function plainScan(
  reader: FilterReader,
  f: Filter,
  query: SessionFilter = {},
  cache = eventCache(reader),
): Promise<string[]> {
  const all = await reader.querySessions({ ...query, offset: 0, limit: 5000 });
  const out: string[] = [];
  for (const row of all.sessions) {
    let events = cache.get(row.id);
    if (!events) {
      events = await reader.sessionEvents(row.id, 0, 100_000);
      cache.set(row.id, events);
    }
    const n = matchingSeqs(events, f).length;
    if (n > 0) out.push(`${row.id}:${n}`);
  }
  return out;
}

const caches = new WeakMap<FilterReader, Map<string, ImapscopeEvent[]>>();

function eventCache(reader: FilterReader): Map<string, ImapscopeEvent[]> {
  let c = caches.get(reader);
  if (!c) caches.set(reader, (c = new Map()));
  return c;
}
