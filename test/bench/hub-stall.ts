/**
 * Hub benchmark (iii): peak RSS of the imapscope process while a WebSocket viewer is stalled
 * (its socket paused, so the kernel buffers fill and then imapscope's per-client queue) during
 * event-heavy traffic (back-to-back 200-session rounds), against the same traffic with no
 * viewer. RSS is sampled from /proc/PID/status every 50 ms.
 */
import { writeFile } from 'node:fs/promises';
import type { Dovecot } from '../helpers/dovecot.ts';
import type { Imapscope } from '../helpers/imapscope.ts';
import { memory, progress } from './stats.ts';
import { countEvents, Viewer } from './viewer.ts';
import { bulkConnection, bulkFetch, concurrentSessions, settle } from './workload.ts';

const STALL_PHASE_MS = 6_000;
const RSS_SAMPLE_MS = 50;
const WITH_BULK = false;

const MiB = (b: number): string => `${(b / 2 ** 20).toFixed(0)} MiB`;

// ---------------------------------------------------------------------------------------

export interface StallResult {
  basePeak: number;
  stalledPeak: number;
  firstHalfPeak: number;
  secondHalfPeak: number;
  /** VmHWM at the end of the stall, reset before it when /proc allows. */
  hwm: number | null;
  hwmReset: boolean;
  rssBefore: number;
  gapNoticeAfterResume: boolean;
  /** What the stalled viewer got once it read again: delivered events and announced skips. */
  viewerAfterResume: { eventsDelivered: number; gapNotices: number; skipped: number };
  trafficPerPhase: { bulkFetches: number[]; sessions: number[] };
}

/** Runs heavy traffic for `ms`, sampling the process's RSS; returns the peak. */
async function trafficWithSampling(
  scope: Imapscope,
  dovecot: Dovecot,
  ms: number,
  halves: boolean,
): Promise<{
  peak: number;
  firstHalf: number;
  secondHalf: number;
  bulk: number;
  sessions: number;
}> {
  const pid = scope.process.pid;
  const start = Date.now();
  const deadline = start + ms;
  let firstHalf = 0;
  let secondHalf = 0;
  const timer = setInterval(() => {
    const m = memory(pid);
    if (!m) return;
    if (!halves || Date.now() - start < ms / 2) firstHalf = Math.max(firstHalf, m.rss);
    else secondHalf = Math.max(secondHalf, m.rss);
  }, RSS_SAMPLE_MS);
  let bulk = 0;
  let sessions = 0;
  // Bulk FETCH only if asked: it makes few events and, at full speed, overflows the inspection
  // queue so that the sessions' events are not made at all (see "inspection gap").
  const bulkLoop = (async () => {
    if (!WITH_BULK) return;
    const d = await bulkConnection(scope.listen, dovecot);
    while (Date.now() < deadline) {
      await bulkFetch(d);
      bulk += 1;
    }
    await d.logout();
  })();
  const sessionLoop = (async () => {
    while (Date.now() < deadline) {
      const r = await concurrentSessions(scope.listen, dovecot.user2.user, dovecot.user2.password);
      sessions += r.completed;
    }
  })();
  try {
    await Promise.all([bulkLoop, sessionLoop]);
  } finally {
    clearInterval(timer);
  }
  return { peak: Math.max(firstHalf, secondHalf), firstHalf, secondHalf, bulk, sessions };
}

export async function stalledViewer(scope: Imapscope, dovecot: Dovecot): Promise<StallResult> {
  const pid = scope.process.pid;
  const rssBefore = memory(pid)?.rss ?? NaN;
  progress(`hub (iii) heavy traffic for ${STALL_PHASE_MS / 1000} s with no viewer (baseline)`);
  const base = await trafficWithSampling(scope, dovecot, STALL_PHASE_MS, false);
  await settle();
  progress(`  peak RSS ${MiB(base.peak)}; now ${(2 * STALL_PHASE_MS) / 1000} s, viewer stalled`);
  const viewer = await Viewer.open(scope.url);
  try {
    viewer.ws.pause(); // stops reading its socket: the kernel buffers fill, then imapscope's
    let hwmReset = false;
    try {
      await writeFile(`/proc/${pid}/clear_refs`, '5'); // resets VmHWM to the current RSS
      hwmReset = true;
    } catch {
      // not permitted here: VmHWM then covers the process's whole life
    }
    const stalled = await trafficWithSampling(scope, dovecot, 2 * STALL_PHASE_MS, true);
    const hwm = memory(pid)?.hwm ?? null;
    progress(
      `  peak RSS ${MiB(stalled.firstHalf)} (first half), ${MiB(stalled.secondHalf)} (second half)` +
        `; resuming the viewer`,
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
      basePeak: base.peak,
      stalledPeak: stalled.peak,
      firstHalfPeak: stalled.firstHalf,
      secondHalfPeak: stalled.secondHalf,
      hwm,
      hwmReset,
      rssBefore,
      gapNoticeAfterResume: viewer.gaps > 0,
      viewerAfterResume: {
        eventsDelivered: delivered,
        gapNotices: viewer.gaps,
        skipped: viewer.skipped,
      },
      trafficPerPhase: {
        bulkFetches: [base.bulk, stalled.bulk],
        sessions: [base.sessions, stalled.sessions],
      },
    };
  } finally {
    await viewer.close();
  }
}
