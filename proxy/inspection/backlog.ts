/**
 * The relay thread's count of tap bytes handed to inspection and not yet inspected, per
 * session and direction and in all, and the flow control `--inspection lossless` builds on it:
 * a session that feeds inspection while its own backlog or the process's is past its bound is
 * paused (both legs stop reading); it resumes once both are back under their low-water marks.
 * Below the bounds nothing is ever paused, so the common case waits for nothing. Sans-I/O:
 * tests drive it with numbers.
 */
import type { Direction } from '../../shared/direction.ts';
import {
  INSPECTION_PAUSE_BYTES,
  INSPECTION_RESUME_BYTES,
  INSPECTION_SESSION_PAUSE_BYTES,
  INSPECTION_SESSION_RESUME_BYTES,
} from '../limits.ts';
import type { InspectionFlow } from '../transport.ts';

export interface BacklogBounds {
  pauseBytes: number;
  resumeBytes: number;
  sessionPauseBytes: number;
  sessionResumeBytes: number;
}

export const DEFAULT_BACKLOG_BOUNDS: BacklogBounds = {
  pauseBytes: INSPECTION_PAUSE_BYTES,
  resumeBytes: INSPECTION_RESUME_BYTES,
  sessionPauseBytes: INSPECTION_SESSION_PAUSE_BYTES,
  sessionResumeBytes: INSPECTION_SESSION_RESUME_BYTES,
};

interface SessionBacklog {
  bytes: Record<Direction, number>;
  paused: boolean;
  flow: InspectionFlow | null;
}

export class InspectionBacklog {
  /** Bytes handed over and not yet reported inspected, all sessions. */
  total = 0;
  /** Times a session was paused (for the log and benchmarks). */
  pauses = 0;
  private readonly sessions = new Map<string, SessionBacklog>();
  private readonly paused = new Set<SessionBacklog>();

  constructor(private readonly bounds: BacklogBounds = DEFAULT_BACKLOG_BOUNDS) {}

  /** Starts counting a session; `flow` null: never pause it (best-effort). */
  open(session: string, flow: InspectionFlow | null): void {
    this.sessions.set(session, { bytes: { c2s: 0, s2c: 0 }, paused: false, flow });
  }

  /** Counts bytes handed over; pauses the session when a bound is passed. */
  add(session: string, direction: Direction, bytes: number): void {
    this.total += bytes;
    const s = this.sessions.get(session);
    if (!s) return;
    // Branch-free, not s.bytes[direction] += bytes: the outbox's chunk(), which inlines this,
    // is optimized during a one-direction bulk transfer and would deoptimize at the first
    // chunk of the other direction (then cost a compiler thread a recompile).
    const c2s = +(direction === 'c2s');
    s.bytes.c2s += bytes * c2s;
    s.bytes.s2c += bytes * (1 - c2s);
    if (s.paused || !s.flow) return;
    const own = s.bytes.c2s + s.bytes.s2c;
    if (own > this.bounds.sessionPauseBytes || this.total > this.bounds.pauseBytes) {
      s.paused = true;
      this.paused.add(s);
      this.pauses += 1;
      s.flow.pause();
    }
  }

  /** Inspection reported bytes of a session done; paused sessions under both marks resume. */
  consumed(session: string, c2s: number, s2c: number): void {
    this.total = Math.max(0, this.total - c2s - s2c);
    const s = this.sessions.get(session);
    if (s) {
      s.bytes.c2s = Math.max(0, s.bytes.c2s - c2s);
      s.bytes.s2c = Math.max(0, s.bytes.s2c - s2c);
    }
  }

  /** Resumes the paused sessions now under both low-water marks (call after consumed()). */
  release(): void {
    if (this.paused.size === 0 || this.total >= this.bounds.resumeBytes) return;
    for (const s of this.paused) {
      if (s.bytes.c2s + s.bytes.s2c >= this.bounds.sessionResumeBytes) continue;
      this.resume(s);
    }
  }

  /** Bytes of a session not yet inspected, per direction. */
  inFlight(session: string): Record<Direction, number> {
    const s = this.sessions.get(session);
    return s ? { ...s.bytes } : { c2s: 0, s2c: 0 };
  }

  /** Whether the session is paused on inspection. */
  isPaused(session: string): boolean {
    return this.sessions.get(session)?.paused === true;
  }

  /**
   * Inspection lost everything in flight (its thread died): returns each session's lost bytes
   * per direction, zeroes every count and resumes every paused session.
   */
  lose(): Map<string, Record<Direction, number>> {
    const lost = new Map<string, Record<Direction, number>>();
    for (const [id, s] of this.sessions) {
      if (s.bytes.c2s + s.bytes.s2c > 0) lost.set(id, { ...s.bytes });
      s.bytes = { c2s: 0, s2c: 0 };
    }
    this.total = 0;
    for (const s of this.paused) this.resume(s);
    return lost;
  }

  /** Stops counting a session (it closed); its bytes still in flight stay in the total until reported. */
  close(session: string): void {
    const s = this.sessions.get(session);
    if (!s) return;
    this.paused.delete(s);
    this.sessions.delete(session);
  }

  private resume(s: SessionBacklog): void {
    s.paused = false;
    this.paused.delete(s);
    s.flow?.resume();
  }
}
