/**
 * Hub benchmark (iii): peak RSS of an imapscope process while a WebSocket viewer is stalled
 * (its socket paused, so the kernel buffers fill and then what imapscope holds for it) during
 * event-heavy traffic (back-to-back 200-session rounds), against a twin imapscope with no
 * viewer that gets the same traffic at the same time. RSS is sampled from /proc/PID/status
 * every 50 ms.
 *
 * Why a twin and not the same process before the stall: with no viewer at all, imapscope's RSS
 * climbs by about 50 MiB per 200-session round for five rounds and then falls back by 180 MiB
 * (the garbage collector's cycle; measured 190, 243, 280, 345, 350, 172, 232, 278 MiB on
 * merged main). A no-viewer phase taken first and a stalled phase taken after it therefore
 * differed by 90 to 100 MiB even when the viewer was closed instead of stalled. Two fresh
 * processes fed the same sessions together go through that cycle together, so what is left
 * of the difference is what the stalled viewer costs.
 */
import { writeFile } from 'node:fs/promises';
import type { Dovecot } from '../helpers/dovecot.ts';
import type { Imapscope } from '../helpers/imapscope.ts';
import { memory, progress } from './stats.ts';
import { countEvents, Viewer } from './viewer.ts';
import { concurrentSessions, gapBytes, settle, startScope } from './workload.ts';

const STALL_MS = 12_000;
const RSS_SAMPLE_MS = 50;

const MiB = (b: number): string => `${(b / 2 ** 20).toFixed(0)} MiB`;

// ---------------------------------------------------------------------------------------

export interface StallResult {
  /** Peak RSS of the twin with no viewer, over the whole stall. */
  basePeak: number;
  stalledPeak: number;
  firstHalfPeak: number;
  secondHalfPeak: number;
  /** The twin's peaks in the two halves (the cycle both go through). */
  baseHalves: [number, number];
  /** VmHWM at the end of the stall, reset before it when /proc allows. */
  hwm: number | null;
  hwmReset: boolean;
  rssBefore: { stalled: number; twin: number };
  gapNoticeAfterResume: boolean;
  /** What the stalled viewer got once it read again: delivered events and announced skips. */
  viewerAfterResume: { eventsDelivered: number; gapNotices: number; skipped: number };
  /** Sessions completed by each process during the stall. */
  sessions: { stalled: number; twin: number };
  /** Each process's inspection gap over its whole life (absent before the figure existed). */
  gapBytes?: { stalled: number; twin: number };
}

interface Peaks {
  firstHalf: number;
  secondHalf: number;
}

/** Back-to-back 200-session rounds against each scope at once for `ms`; peaks per process. */
async function trafficWithSampling(
  scopes: Imapscope[],
  dovecot: Dovecot,
  ms: number,
): Promise<{ peaks: Peaks[]; sessions: number[] }> {
  const start = Date.now();
  const deadline = start + ms;
  const peaks: Peaks[] = scopes.map(() => ({ firstHalf: 0, secondHalf: 0 }));
  const timer = setInterval(() => {
    const firstHalf = Date.now() - start < ms / 2;
    scopes.forEach((s, i) => {
      const m = memory(s.process.pid);
      if (!m) return;
      const p = peaks[i]!;
      if (firstHalf) p.firstHalf = Math.max(p.firstHalf, m.rss);
      else p.secondHalf = Math.max(p.secondHalf, m.rss);
    });
  }, RSS_SAMPLE_MS);
  const sessions = scopes.map(() => 0);
  try {
    await Promise.all(
      scopes.map(async (s, i) => {
        while (Date.now() < deadline) {
          const r = await concurrentSessions(s.listen, dovecot.user2.user, dovecot.user2.password);
          sessions[i]! += r.completed;
        }
      }),
    );
  } finally {
    clearInterval(timer);
  }
  return { peaks, sessions };
}

/** Starts two imapscopes (archive on), stalls a viewer on one, feeds both; stops them after. */
export async function stalledViewer(dovecot: Dovecot): Promise<StallResult> {
  progress('hub (iii) starting two imapscopes: one with a stalled viewer, its twin with none');
  const stalled = await startScope(dovecot);
  const twin = await startScope(dovecot).catch(async (e: unknown) => {
    await stalled.stop();
    throw e;
  });
  try {
    // One round each first: the viewers' rings and the archives fill, as in a running proxy.
    await Promise.all(
      [stalled, twin].map((s) =>
        concurrentSessions(s.listen, dovecot.user2.user, dovecot.user2.password),
      ),
    );
    await settle();
    const rssBefore = {
      stalled: memory(stalled.process.pid)?.rss ?? NaN,
      twin: memory(twin.process.pid)?.rss ?? NaN,
    };
    progress(`  now ${STALL_MS / 1000} s of traffic to both, the viewer stalled`);
    const viewer = await Viewer.open(stalled.url);
    try {
      viewer.ws.pause(); // stops reading its socket: the kernel buffers fill, then imapscope's
      let hwmReset = false;
      try {
        await writeFile(`/proc/${stalled.process.pid}/clear_refs`, '5'); // VmHWM := current RSS
        hwmReset = true;
      } catch {
        // not permitted here: VmHWM then covers the process's whole life
      }
      const run = await trafficWithSampling([stalled, twin], dovecot, STALL_MS);
      const [s, t] = run.peaks as [Peaks, Peaks];
      const hwm = memory(stalled.process.pid)?.hwm ?? null;
      progress(
        `  peak RSS stalled ${MiB(s.firstHalf)} / ${MiB(s.secondHalf)} (halves), ` +
          `twin ${MiB(t.firstHalf)} / ${MiB(t.secondHalf)}; resuming the viewer`,
      );
      const held = viewer.texts.length;
      viewer.ws.resume();
      // Drain: until nothing arrived for a second (at most 10 s).
      const deadline = Date.now() + 10_000;
      viewer.lastMessageAt = Date.now();
      while (Date.now() - viewer.lastMessageAt < 1_000 && Date.now() < deadline) await settle(100);
      const delivered =
        countEvents(viewer.texts.slice(held)) + countEvents(viewer.texts.slice(0, held));
      return {
        basePeak: Math.max(t.firstHalf, t.secondHalf),
        stalledPeak: Math.max(s.firstHalf, s.secondHalf),
        firstHalfPeak: s.firstHalf,
        secondHalfPeak: s.secondHalf,
        baseHalves: [t.firstHalf, t.secondHalf],
        hwm,
        hwmReset,
        rssBefore,
        gapNoticeAfterResume: viewer.gaps > 0,
        viewerAfterResume: {
          eventsDelivered: delivered,
          gapNotices: viewer.gaps,
          skipped: viewer.skipped,
        },
        sessions: { stalled: run.sessions[0]!, twin: run.sessions[1]! },
        gapBytes: { stalled: gapBytes(stalled.logs), twin: gapBytes(twin.logs) },
      };
    } finally {
      await viewer.close();
    }
  } finally {
    await Promise.all([stalled.stop(), twin.stop()]);
  }
}
