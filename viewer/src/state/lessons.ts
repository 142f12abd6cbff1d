/**
 * The console's course: short lessons a learner does by typing IMAP, each ticked off by the
 * tracker's events for the console's session (exchanges with their status, the decoded command
 * and answers, state changes, literals), never by matching what was typed. Pure: the checks
 * take one session's events and say whether (and where) the lesson's goal was met.
 */
import type { ExchangeEvent, ImapscopeEvent, StateChangeEvent } from '../../../shared/events.ts';
import { messageLiterals } from '../../../shared/message-literals.ts';
import type {
  Command,
  FetchAttribute,
  ResponseCode,
  UntaggedData,
} from '../../../shared/messages.ts';

export interface Lesson {
  id: string;
  title: string;
  /** What to achieve, for the learner (Markdown: `code` spans). */
  goal: string;
  /** How, when the learner asks (Markdown); not the only way that ticks it off. */
  hint: string;
  /** The practice-server letter that explains the idea behind it (its subject starts with this). */
  letter: string | null;
}

/** Where a lesson was met: the seq of the event that completed it, and a line saying what it saw. */
export interface LessonMet {
  seq: number;
  detail: string;
}

/** The course, in order. */
export const LESSONS: readonly Lesson[] = [
  {
    id: 'login',
    title: 'Log in',
    goal: 'Move the session from Not Authenticated to Authenticated.',
    hint: '`LOGIN learner practice` (the practice account). Watch the state diagram step.',
    letter: 'Lesson 2',
  },
  {
    id: 'examine',
    title: 'Select a mailbox read-only',
    goal: 'Open INBOX so that nothing you do can change it: the server must confirm `[READ-ONLY]`.',
    hint: '`EXAMINE INBOX` is SELECT’s read-only twin. (SELECT opens it read-write.)',
    letter: 'Lesson 2',
  },
  {
    id: 'fetch-headers',
    title: 'Fetch only the headers of message 2',
    goal: 'Get the header of message number 2, without its body.',
    hint: '`FETCH 2 (BODY.PEEK[HEADER])`: PEEK leaves it unread; `BODY[]` would bring the whole message.',
    letter: 'Lesson 11',
  },
  {
    id: 'literal',
    title: 'Send a literal',
    goal: 'Send a string as a synchronizing literal `{n}`: announce its size, wait for the server’s `+`, then send exactly n bytes, and have the command succeed.',
    hint: 'Type `CREATE {7}`, wait for `+`, then type `lessons`.',
    letter: 'Lesson 5',
  },
  {
    id: 'move',
    title: 'Move a message and find its new UID',
    goal: 'Move a message to another mailbox and get its UID there from the server’s `COPYUID` response code.',
    hint: 'In a mailbox opened with SELECT: `MOVE 1 Archive`. The `COPYUID` code reads: UIDVALIDITY, old UID(s), new UID(s).',
    letter: 'Lesson 13',
  },
  {
    id: 'logout',
    title: 'Log out',
    goal: 'End the session politely: the server says `* BYE` and the session reaches Logout.',
    hint: '`LOGOUT`. Then “↻ New session” starts another one.',
    letter: 'Lesson 2',
  },
];

/** Looks up a session's events by seq (the session model keeps them that way). */
export type EventsBySeq = readonly (ImapscopeEvent | undefined)[];

/** Builds the seq-indexed array from a list of events (for tests and imports). */
export function bySeq(events: readonly ImapscopeEvent[]): (ImapscopeEvent | undefined)[] {
  const out: (ImapscopeEvent | undefined)[] = [];
  for (const e of events) out[e.seq] = e;
  return out;
}

/**
 * Whether `lessonId` is met by a session's events: the first event that completes it, or null.
 * An unknown lesson id is never met.
 */
export function checkLesson(lessonId: string, events: EventsBySeq): LessonMet | null {
  const check = CHECKS[lessonId];
  return check ? check(new SessionEvents(events)) : null;
}

/** Every lesson met by these events, by id. */
export function lessonsMet(events: EventsBySeq): Map<string, LessonMet> {
  const view = new SessionEvents(events);
  const met = new Map<string, LessonMet>();
  for (const l of LESSONS) {
    const m = CHECKS[l.id]?.(view);
    if (m) met.set(l.id, m);
  }
  return met;
}

/** Convenience views over one session's events. */
class SessionEvents {
  constructor(readonly events: EventsBySeq) {}

  *all(): Generator<ImapscopeEvent> {
    for (const e of this.events) if (e) yield e;
  }

  /** Exchanges that completed OK, oldest first, with their decoded command when known. */
  *okExchanges(...names: string[]): Generator<{ x: ExchangeEvent; cmd: Command | null }> {
    for (const e of this.all()) {
      if (e.type !== 'exchange' || e.status !== 'OK') continue;
      if (names.length > 0 && !names.includes(e.command)) continue;
      yield { x: e, cmd: this.command(e.commandSeq) };
    }
  }

  *stateChanges(): Generator<StateChangeEvent> {
    for (const e of this.all()) if (e.type === 'state.change') yield e;
  }

  command(seq: number): Command | null {
    const e = this.events[seq];
    return e?.type === 'message' && e.message.type === 'command' ? e.message : null;
  }

  /** The untagged data the exchange's server sent while it was in flight (the ones it names). */
  untagged(x: ExchangeEvent): UntaggedData[] {
    const out: UntaggedData[] = [];
    for (const s of x.untaggedSeqs) {
      const e = this.events[s];
      if (e?.type === 'message' && e.message.type === 'untagged') out.push(e.message.data);
    }
    return out;
  }

  /** The state change an exchange's completion caused, if any (its cause is the completion). */
  causedBy(x: ExchangeEvent): StateChangeEvent | null {
    if (x.completionSeq === null) return null;
    for (const s of this.stateChanges()) if (s.cause.seq === x.completionSeq) return s;
    return null;
  }
}

type Check = (s: SessionEvents) => LessonMet | null;

const CHECKS: Record<string, Check> = {
  login: (s) => {
    for (const { x } of s.okExchanges('LOGIN', 'AUTHENTICATE')) {
      const change = s.causedBy(x);
      if (change?.to === 'authenticated')
        return { seq: x.seq, detail: `${x.tag} ${x.command} OK: now Authenticated` };
    }
    return null;
  },
  examine: (s) => {
    for (const { x } of s.okExchanges('EXAMINE')) {
      const change = s.causedBy(x);
      if (change?.to === 'selected' && change.readOnly === true)
        return {
          seq: x.seq,
          detail: `${x.tag} EXAMINE OK: ${change.mailbox ?? 'the mailbox'} is selected read-only`,
        };
    }
    return null;
  },
  'fetch-headers': (s) => {
    for (const { x } of s.okExchanges('FETCH')) {
      for (const d of s.untagged(x)) {
        if (d.kind !== 'fetch' || d.seq !== 2) continue;
        const header = d.attributes.find(isHeaderOnly);
        if (header && !d.attributes.some(isBodyText))
          return {
            seq: x.seq,
            detail: `${x.tag} ${x.uid ? 'UID ' : ''}FETCH OK: message 2’s ${sectionName(header)}, no body`,
          };
      }
    }
    return null;
  },
  literal: (s) => {
    for (const { x, cmd } of s.okExchanges()) {
      if (!cmd || x.continuationSeqs.length === 0) continue;
      const lit = messageLiterals(cmd).find((l) => l.kind === 'sync' && !l.refused);
      if (lit)
        return {
          seq: x.seq,
          detail: `${x.tag} ${x.command} OK: a {${lit.size}} literal sent after the server’s +`,
        };
    }
    return null;
  },
  move: (s) => {
    for (const { x } of s.okExchanges('MOVE')) {
      const codes: (ResponseCode | null)[] = [x.code];
      for (const d of s.untagged(x)) if (d.kind === 'status') codes.push(d.code);
      const copyuid = codes.find((c) => c?.kind === 'copyuid');
      if (copyuid?.kind === 'copyuid')
        return {
          seq: x.seq,
          detail: `${x.tag} ${x.uid ? 'UID ' : ''}MOVE OK: UID ${copyuid.sourceUids} is now UID ${copyuid.destUids} (UIDVALIDITY ${copyuid.uidValidity})`,
        };
    }
    return null;
  },
  logout: (s) => {
    for (const change of s.stateChanges())
      if (change.to === 'logout' && change.cause.command === 'LOGOUT')
        return { seq: change.seq, detail: `${change.cause.tag ?? ''} LOGOUT: the session ended` };
    return null;
  },
};

/** A header-only section of the whole message: BODY[HEADER], BODY.PEEK[HEADER.FIELDS (…)], RFC822.HEADER. */
function isHeaderOnly(a: FetchAttribute): boolean {
  if (a.kind !== 'body-section') return false;
  if (a.name.toUpperCase() === 'RFC822.HEADER') return true;
  return (
    a.section !== null &&
    a.section.part.length === 0 &&
    a.section.specifier.toUpperCase().startsWith('HEADER')
  );
}

function sectionName(a: FetchAttribute): string {
  if (a.kind !== 'body-section') return a.kind;
  return a.section ? `${a.name}[${a.section.text}]` : a.name;
}

/** A section carrying the body: BODY[], BODY[TEXT], BODY[1], RFC822, RFC822.TEXT, BINARY[…]. */
function isBodyText(a: FetchAttribute): boolean {
  return a.kind === 'body-section' && !isHeaderOnly(a);
}
