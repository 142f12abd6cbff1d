/**
 * The hub benchmark (issue 6, item 7), against the same private Dovecot as the relay benchmark:
 *
 *   (i)   relay throughput with the hub's sinks busy: imapscope with a WebSocket viewer attached
 *         (reading) and the archive on, against imapscope with the archive off
 *         (`--max-archive-mb 0`) and no viewer; 200 concurrent sessions (total time) and bulk
 *         FETCH (MB/s), interleaved, in the same run. Target ≥ 0.9×.
 *   (ii)  sustained archive ingest, in process: the events the viewer received in (i), replayed
 *         under fresh session ids into the SQLite archive (archive.ts) and into PostgreSQL
 *         (pg-archive.ts), side by side (as the hub calls them: small batches, flushes on the
 *         archive's own schedule), with and without the raw bytes of those sessions. Target
 *         ≥ 20,000 events/s each.
 *   (iii) peak RSS of an imapscope process while a viewer is stalled (its socket paused) under
 *         heavy traffic, against a twin imapscope with no viewer fed the same traffic at the
 *         same time (hub-stall.ts says why a twin); bounded = no more than 64 MiB above the
 *         twin, and no growth in the second half of the stall beyond what the first half or
 *         the twin reached (RSS swings with the garbage collector's cycles; a queue that grows
 *         without bound climbs past both).
 */
import { fileURLToPath } from 'node:url';
import { startDovecot } from '../helpers/dovecot.ts';
import type { Dovecot } from '../helpers/dovecot.ts';
import type { Imapscope } from '../helpers/imapscope.ts';
import { archiveIngest } from './hub-ingest.ts';
import { stalledViewer } from './hub-stall.ts';
import type { ImapDriver } from './imap-driver.ts';
import { median, memory, progress, rotate } from './stats.ts';
import { countEvents, Viewer } from './viewer.ts';
import type { Endpoint } from './workload.ts';
import {
  bulkConnection,
  bulkFetch,
  concurrentSessions,
  gapBytes,
  oneSession,
  prepareMail,
  settle,
  SESSIONS,
  startScope,
} from './workload.ts';

const SESSION_ROUNDS = 4;
const BULK_ROUNDS = 5;
export const TARGET_HUB_RATIO = 0.9;
export const TARGET_INGEST_PER_S = 20_000;
const RSS_ALLOWANCE = 64 * 2 ** 20;
const RSS_GROWTH_ALLOWANCE = 16 * 2 ** 20;

/** One line of the section's table. */
export interface HubRow {
  figure: string;
  value: string;
  baseline: string;
  ratio: number | null;
  target: string;
  pass: boolean | null;
}

export interface HubResult {
  rows: HubRow[];
  details: Record<string, unknown>;
}

const MiB = (b: number): string => `${(b / 2 ** 20).toFixed(0)} MiB`;
const n0 = (n: number): string => Math.round(n).toLocaleString('en-US');

interface Side {
  name: 'hub on' | 'hub off';
  scope: Imapscope;
  ep: Endpoint;
}

export async function benchHub(dovecot: Dovecot): Promise<HubResult> {
  progress('hub: starting imapscope with the archive on and with it off');
  const on = await startScope(dovecot);
  const off = await startScope(dovecot, ['--max-archive-mb', '0']).catch(async (e: unknown) => {
    await on.stop();
    throw e;
  });
  const cleanups: (() => Promise<unknown>)[] = [() => on.stop(), () => off.stop()];
  try {
    const sides: Side[] = [
      { name: 'hub on', scope: on, ep: on.listen },
      { name: 'hub off', scope: off, ep: off.listen },
    ];
    const viewer = await Viewer.open(on.url);
    cleanups.unshift(() => viewer.close());

    const { user, password } = dovecot.user2;
    // Each side's inspection gap per phase: its log lines between marks.
    const marks = new Map(sides.map((s) => [s.name, s.scope.logs.length]));
    const gapSinceMark = (): Record<Side['name'], number> => {
      const out = {} as Record<Side['name'], number>;
      for (const s of sides) {
        out[s.name] = gapBytes(s.scope.logs, marks.get(s.name));
        marks.set(s.name, s.scope.logs.length);
      }
      return out;
    };
    progress(`hub (i) ${SESSIONS} concurrent sessions: ${SESSION_ROUNDS} rounds per side`);
    for (const s of sides) await oneSession(s.ep, user, password);
    const sessMs = new Map<string, number[]>(sides.map((s) => [s.name, []]));
    let incomplete = 0;
    let e2eEvents = 0;
    let e2eMs = 0;
    for (let round = 0; round < SESSION_ROUNDS; round++) {
      const line: string[] = [];
      for (const s of rotate(sides, round)) {
        const before = viewer.texts.length;
        const r = await concurrentSessions(s.ep, user, password);
        incomplete += SESSIONS - r.completed;
        sessMs.get(s.name)!.push(r.totalMs);
        line.push(`${s.name} ${r.completed}/${SESSIONS} in ${n0(r.totalMs)} ms`);
        await settle();
        if (s.name === 'hub on') {
          e2eMs += r.totalMs;
          e2eEvents += countEvents(viewer.texts.slice(before));
        }
      }
      progress(`  round ${round + 1}/${SESSION_ROUNDS}: ${line.join(', ')}`);
    }
    const recorded = viewer.events();
    const sessionsGap = gapSinceMark();

    progress(`hub (i) bulk FETCH: 1 warm-up + ${BULK_ROUNDS} rounds per side`);
    const conns = new Map<string, ImapDriver>();
    const mbps = new Map<string, number[]>(sides.map((s) => [s.name, []]));
    for (const s of sides) {
      const d = await bulkConnection(s.ep, dovecot);
      await bulkFetch(d);
      conns.set(s.name, d);
    }
    for (let round = 0; round < BULK_ROUNDS; round++) {
      const line: string[] = [];
      for (const s of rotate(sides, round)) {
        const r = await bulkFetch(conns.get(s.name)!);
        mbps.get(s.name)!.push(r.mbPerS);
        line.push(`${s.name} ${n0(r.mbPerS)} MB/s`);
      }
      progress(`  round ${round + 1}/${BULK_ROUNDS}: ${line.join(', ')}`);
    }
    for (const d of conns.values()) await d.logout();
    const bulkGap = gapSinceMark();
    const viewerGaps = viewer.gaps;
    const rssAfterTraffic = { on: memory(on.process.pid), off: memory(off.process.pid) };
    await viewer.close();

    for (const c of cleanups.splice(0)) await c().catch(() => undefined);
    const stall = await stalledViewer(dovecot);

    const ingest = await archiveIngest(recorded);

    // Figures ----------------------------------------------------------------------------
    const msOn = median(sessMs.get('hub on')!);
    const msOff = median(sessMs.get('hub off')!);
    const bulkOn = median(mbps.get('hub on')!);
    const bulkOff = median(mbps.get('hub off')!);
    const sessRatio = msOff / msOn; // throughput ratio: the inverse of the time ratio
    const bulkRatio = bulkOn / bulkOff;
    const stallRatio = stall.stalledPeak / stall.basePeak;
    const stallPass =
      stall.stalledPeak <= stall.basePeak + RSS_ALLOWANCE &&
      stall.secondHalfPeak <= Math.max(stall.firstHalfPeak, stall.basePeak) + RSS_GROWTH_ALLOWANCE;
    const rows: HubRow[] = [
      {
        figure: `${SESSIONS} sessions, total time (viewer + archive on)`,
        value: `${n0(msOn)} ms`,
        baseline: `${n0(msOff)} ms (both off)`,
        ratio: sessRatio,
        target: `≥ ${TARGET_HUB_RATIO}× (throughput)`,
        pass: sessRatio >= TARGET_HUB_RATIO && incomplete === 0,
      },
      {
        figure: 'bulk FETCH (viewer + archive on)',
        value: `${n0(bulkOn)} MB/s`,
        baseline: `${n0(bulkOff)} MB/s (both off)`,
        ratio: bulkRatio,
        target: `≥ ${TARGET_HUB_RATIO}×`,
        pass: bulkRatio >= TARGET_HUB_RATIO,
      },
      {
        figure: 'archive ingest, events + raw bytes (in process)',
        value: `${n0(ingest.withRaw.perS)} events/s`,
        baseline: '—',
        ratio: null,
        target: `≥ ${n0(TARGET_INGEST_PER_S)}/s`,
        pass: ingest.withRaw.perS >= TARGET_INGEST_PER_S && ingest.withRaw.dropped === 0,
      },
      {
        figure: 'archive ingest, events only (in process)',
        value: `${n0(ingest.eventsOnly.perS)} events/s`,
        baseline: '—',
        ratio: null,
        target: `≥ ${n0(TARGET_INGEST_PER_S)}/s`,
        pass: ingest.eventsOnly.perS >= TARGET_INGEST_PER_S && ingest.eventsOnly.dropped === 0,
      },
      ...(['withRaw', 'eventsOnly'] as const).map((k) => {
        const pg = 'notMeasured' in ingest.postgres ? null : ingest.postgres[k];
        return {
          figure: `archive ingest into PostgreSQL, ${k === 'withRaw' ? 'events + raw bytes' : 'events only'} (in process)`,
          value: pg ? `${n0(pg.perS)} events/s` : 'not measured',
          baseline: `${n0(ingest[k].perS)} events/s (SQLite, same run)`,
          ratio: pg ? pg.perS / ingest[k].perS : null,
          target: `≥ ${n0(TARGET_INGEST_PER_S)}/s`,
          pass: pg ? pg.perS >= TARGET_INGEST_PER_S && pg.dropped === 0 : null,
        };
      }),
      {
        figure: 'events through the proxy to the viewer during the 200-session rounds',
        value: `${n0(e2eEvents / (e2eMs / 1000))} events/s`,
        baseline: '—',
        ratio: null,
        target: '—',
        pass: null,
      },
      {
        figure: 'peak RSS of imapscope, viewer stalled (VmRSS sampled)',
        value: MiB(stall.stalledPeak),
        baseline: `${MiB(stall.basePeak)} (no viewer)`,
        ratio: stallRatio,
        target: '≤ baseline + 64 MiB, no growth past it',
        pass: stallPass,
      },
    ];
    return {
      rows,
      details: {
        sessionsMsPerRound: Object.fromEntries(sessMs),
        sessionsIncomplete: incomplete,
        bulkMBpsPerRound: Object.fromEntries(
          [...mbps].map(([k, v]) => [k, v.map((x) => Math.round(x))]),
        ),
        viewerEventsRecorded: recorded.length,
        viewerGapsWhileReading: viewerGaps,
        rssAfterTraffic,
        inspectionGapBytes: Object.fromEntries(sides.map((x) => [x.name, gapBytes(x.scope.logs)])),
        gapBytes: {
          sessions: sessionsGap,
          bulk: bulkGap,
          stall: stall.gapBytes,
        },
        ingest,
        stall,
      },
    };
  } finally {
    for (const c of cleanups) await c().catch(() => undefined);
  }
}

// Standalone: node --import tsx test/bench/hub.ts (its own Dovecot; prints the result as JSON).
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dovecot = await startDovecot();
  try {
    await prepareMail(dovecot);
    process.stdout.write(`${JSON.stringify(await benchHub(dovecot), null, 2)}\n`);
  } finally {
    await dovecot.stop();
  }
}
