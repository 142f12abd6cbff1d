/**
 * The learner's progress through the console's lessons, kept in the browser (localStorage) so
 * it survives reloads and new sessions. A lesson is done once the events of a console session
 * met it (see lessons.ts); reset forgets everything.
 */
import { Emitter } from './emitter.ts';
import { lessonsMet, LESSONS, type EventsBySeq, type Lesson } from './lessons.ts';

/** localStorage key of the progress (JSON: lesson id → LessonDone). */
export const LESSON_PROGRESS_KEY = 'imapscope.lessons';

export interface LessonDone {
  /** The console session that met it, and the event where. */
  session: string;
  seq: number;
  /** What was seen, e.g. "A0002 EXAMINE OK: INBOX is selected read-only". */
  detail: string;
  /** When it was ticked off (ms since the epoch). */
  at: number;
}

/** What the progress needs of localStorage (absent or throwing storage: progress lasts the page). */
export type ProgressStorage = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

export class LessonProgress {
  readonly emitter = new Emitter();
  private done = new Map<string, LessonDone>();

  constructor(
    private readonly storage: ProgressStorage | null,
    private readonly now: () => number = Date.now,
  ) {
    this.done = load(storage);
  }

  /** The lesson's completion, or undefined while it is to do. */
  get(id: string): LessonDone | undefined {
    return this.done.get(id);
  }

  get doneCount(): number {
    return LESSONS.filter((l) => this.done.has(l.id)).length;
  }

  /** The first lesson not done yet (null when the course is complete). */
  get current(): Lesson | null {
    return LESSONS.find((l) => !this.done.has(l.id)) ?? null;
  }

  /**
   * Checks a console session's events against the lessons not done yet; ticks off (and saves)
   * those they meet. Returns the ids newly done, in course order.
   */
  observe(session: string, events: EventsBySeq): string[] {
    if (LESSONS.every((l) => this.done.has(l.id))) return [];
    const fresh: string[] = [];
    for (const [id, met] of lessonsMet(events)) {
      if (this.done.has(id)) continue;
      this.done.set(id, { session, seq: met.seq, detail: met.detail, at: this.now() });
      fresh.push(id);
    }
    if (fresh.length > 0) {
      this.save();
      this.emitter.changed();
    }
    return fresh;
  }

  /** Forgets every lesson's completion. */
  reset(): void {
    this.done.clear();
    try {
      this.storage?.removeItem(LESSON_PROGRESS_KEY);
    } catch {
      // storage refused (private mode, quota): the progress was page-long anyway
    }
    this.emitter.changed();
  }

  private save(): void {
    try {
      this.storage?.setItem(LESSON_PROGRESS_KEY, JSON.stringify(Object.fromEntries(this.done)));
    } catch {
      // storage refused: progress lasts as long as the page
    }
  }
}

/** Reads saved progress; anything malformed or for lessons no longer in the course is dropped. */
function load(storage: ProgressStorage | null): Map<string, LessonDone> {
  const out = new Map<string, LessonDone>();
  let parsed: unknown;
  try {
    parsed = JSON.parse(storage?.getItem(LESSON_PROGRESS_KEY) ?? 'null');
  } catch {
    return out;
  }
  if (typeof parsed !== 'object' || parsed === null) return out;
  for (const l of LESSONS) {
    const d = (parsed as Record<string, unknown>)[l.id] as Partial<LessonDone> | undefined;
    if (
      d &&
      typeof d.session === 'string' &&
      typeof d.seq === 'number' &&
      typeof d.detail === 'string' &&
      typeof d.at === 'number'
    )
      out.set(l.id, { session: d.session, seq: d.seq, detail: d.detail, at: d.at });
  }
  return out;
}
