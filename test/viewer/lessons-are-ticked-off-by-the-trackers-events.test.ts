/**
 * The console's lessons are checked against the events the real session pipeline makes from a
 * dialog (test/session/dialog.ts), not against typed text: the right command that fails, the
 * wrong command that succeeds, and lookalikes do not tick a lesson off.
 */
import { describe, expect, it } from 'vitest';
import { LESSON_PROGRESS_KEY, LessonProgress } from '../../viewer/src/state/lesson-progress.ts';
import { bySeq, checkLesson, LESSONS, lessonsMet } from '../../viewer/src/state/lessons.ts';
import { LESSONS as PRACTICE_LETTERS } from '../../proxy/practice/lessons.ts';
import { GREETING, run, type Step } from '../session/dialog.ts';

const LOGIN: Step[] = [GREETING, 'C:a1 LOGIN learner practice\r\n', 'S:a1 OK Logged in\r\n'];
const SELECTED: Step[] = [
  ...LOGIN,
  'C:a2 SELECT INBOX\r\n',
  'S:* 30 EXISTS\r\n',
  'S:a2 OK [READ-WRITE] Completed\r\n',
];

function met(lesson: string, steps: Step[]) {
  return checkLesson(lesson, bySeq(run(steps).events));
}

describe('lesson "log in"', () => {
  it('is met by a LOGIN that succeeds and moves the session to Authenticated', () => {
    expect(met('login', LOGIN)?.detail).toBe('a1 LOGIN OK: now Authenticated');
  });
  it('is not met by a refused LOGIN', () => {
    expect(
      met('login', [GREETING, 'C:a1 LOGIN learner wrong\r\n', 'S:a1 NO Bad password\r\n']),
    ).toBeNull();
  });
  it('is met by AUTHENTICATE PLAIN as well', () => {
    const steps: Step[] = [
      GREETING,
      'C:a1 AUTHENTICATE PLAIN AGxlYXJuZXIAcHJhY3RpY2U=\r\n',
      'S:a1 OK Logged in\r\n',
    ];
    expect(met('login', steps)).not.toBeNull();
  });
});

describe('lesson "select a mailbox read-only"', () => {
  it('is met by EXAMINE, which the server confirms READ-ONLY', () => {
    const r = met('examine', [
      ...LOGIN,
      'C:a2 EXAMINE INBOX\r\n',
      'S:* 30 EXISTS\r\n',
      'S:a2 OK [READ-ONLY] Completed\r\n',
    ]);
    expect(r?.detail).toBe('a2 EXAMINE OK: INBOX is selected read-only');
  });
  it('is not met by SELECT, even of the same mailbox', () => {
    expect(met('examine', SELECTED)).toBeNull();
  });
  it('is not met by an EXAMINE of a mailbox that does not exist', () => {
    expect(
      met('examine', [...LOGIN, 'C:a2 EXAMINE Nowhere\r\n', 'S:a2 NO No such mailbox\r\n']),
    ).toBeNull();
  });
  it('is not met by a line that only mentions EXAMINE', () => {
    expect(
      met('examine', [...LOGIN, 'C:a2 NOOP EXAMINE INBOX\r\n', 'S:a2 BAD Unexpected args\r\n']),
    ).toBeNull();
  });
});

describe('lesson "fetch only the headers of message 2"', () => {
  const fetch = (command: string, answer: string): Step[] => [
    ...SELECTED,
    `C:a3 ${command}\r\n`,
    answer,
    'S:a3 OK Fetch completed\r\n',
  ];
  const header = 'From: a@b\r\nSubject: hi\r\n\r\n';
  it('is met by BODY.PEEK[HEADER] of message 2, seen in the decoded FETCH response', () => {
    const r = met(
      'fetch-headers',
      fetch(
        'FETCH 2 (BODY.PEEK[HEADER])',
        `S:* 2 FETCH (BODY[HEADER] {${header.length}}\r\n${header})\r\n`,
      ),
    );
    expect(r?.detail).toBe('a3 FETCH OK: message 2’s BODY[HEADER], no body');
  });
  it('is met by HEADER.FIELDS and by RFC822.HEADER', () => {
    const fields = 'Subject: hi\r\n\r\n';
    expect(
      met(
        'fetch-headers',
        fetch(
          'FETCH 2 BODY.PEEK[HEADER.FIELDS (SUBJECT)]',
          `S:* 2 FETCH (BODY[HEADER.FIELDS (SUBJECT)] {${fields.length}}\r\n${fields})\r\n`,
        ),
      ),
    ).not.toBeNull();
    expect(
      met(
        'fetch-headers',
        fetch(
          'FETCH 2 RFC822.HEADER',
          `S:* 2 FETCH (RFC822.HEADER {${header.length}}\r\n${header})\r\n`,
        ),
      ),
    ).not.toBeNull();
  });
  it('is not met by the headers of another message', () => {
    expect(
      met(
        'fetch-headers',
        fetch(
          'FETCH 3 (BODY.PEEK[HEADER])',
          `S:* 3 FETCH (BODY[HEADER] {${header.length}}\r\n${header})\r\n`,
        ),
      ),
    ).toBeNull();
  });
  it('is not met by the whole message 2', () => {
    const whole = `${header}Hello\r\n`;
    expect(
      met(
        'fetch-headers',
        fetch('FETCH 2 BODY.PEEK[]', `S:* 2 FETCH (BODY[] {${whole.length}}\r\n${whole})\r\n`),
      ),
    ).toBeNull();
  });
  it('is not met by the flags of message 2', () => {
    expect(
      met('fetch-headers', fetch('FETCH 2 FLAGS', 'S:* 2 FETCH (FLAGS (\\Seen))\r\n')),
    ).toBeNull();
  });
});

describe('lesson "send a literal"', () => {
  it('is met by a synchronizing literal sent after the server’s + in a command that succeeds', () => {
    const r = met('literal', [
      ...LOGIN,
      'C:a2 CREATE {7}\r\n',
      'S:+ Ready for literal data\r\n',
      'C:lessons\r\n',
      'S:a2 OK Created\r\n',
    ]);
    expect(r?.detail).toBe('a2 CREATE OK: a {7} literal sent after the server’s +');
  });
  it('is not met when the server refuses the literal', () => {
    expect(
      met('literal', [...LOGIN, 'C:a2 CREATE {99999999}\r\n', 'S:a2 NO Literal too big\r\n']),
    ).toBeNull();
  });
  it('is not met by a non-synchronizing literal (no + to wait for) or a quoted string', () => {
    expect(
      met('literal', [...LOGIN, 'C:a2 CREATE {7+}\r\nlessons\r\n', 'S:a2 OK Created\r\n']),
    ).toBeNull();
    expect(met('literal', [...LOGIN, 'C:a2 CREATE "{7}"\r\n', 'S:a2 OK Created\r\n'])).toBeNull();
  });
});

describe('lesson "move a message and find its new UID"', () => {
  it('is met by a MOVE whose COPYUID code names the new UID', () => {
    const r = met('move', [
      ...SELECTED,
      'C:a3 MOVE 1 Archive\r\n',
      'S:* OK [COPYUID 1756684805 1 7] Moved\r\n',
      'S:* 1 EXPUNGE\r\n',
      'S:a3 OK MOVE completed\r\n',
    ]);
    expect(r?.detail).toBe('a3 MOVE OK: UID 1 is now UID 7 (UIDVALIDITY 1756684805)');
  });
  it('is met by UID MOVE with COPYUID on the tagged completion', () => {
    const r = met('move', [
      ...SELECTED,
      'C:a3 UID MOVE 4 Archive\r\n',
      'S:* 1 EXPUNGE\r\n',
      'S:a3 OK [COPYUID 1756684805 4 8] Done\r\n',
    ]);
    expect(r?.detail).toBe('a3 UID MOVE OK: UID 4 is now UID 8 (UIDVALIDITY 1756684805)');
  });
  it('is not met by a COPY, nor by a MOVE without COPYUID, nor by a refused MOVE', () => {
    expect(
      met('move', [
        ...SELECTED,
        'C:a3 COPY 1 Archive\r\n',
        'S:a3 OK [COPYUID 1756684805 1 7] Copied\r\n',
      ]),
    ).toBeNull();
    expect(
      met('move', [
        ...SELECTED,
        'C:a3 MOVE 1 Archive\r\n',
        'S:* 1 EXPUNGE\r\n',
        'S:a3 OK Done\r\n',
      ]),
    ).toBeNull();
    expect(
      met('move', [...SELECTED, 'C:a3 MOVE 1 Nowhere\r\n', 'S:a3 NO [TRYCREATE] No such\r\n']),
    ).toBeNull();
  });
});

describe('lesson "log out"', () => {
  it('is met by LOGOUT: the BYE takes the session to Logout', () => {
    const r = met('logout', [
      ...LOGIN,
      'C:a2 LOGOUT\r\n',
      'S:* BYE Logging out\r\n',
      'S:a2 OK Logout completed\r\n',
    ]);
    expect(r?.detail).toBe('a2 LOGOUT: the session ended');
  });
  it('is not met when the server hangs up on its own', () => {
    expect(met('logout', [...LOGIN, 'S:* BYE Idle for too long\r\n'])).toBeNull();
  });
});

describe('the course', () => {
  it('has its lessons in order with unique ids, each with a check', () => {
    const ids = LESSONS.map((l) => l.id);
    expect(ids).toEqual(['login', 'examine', 'fetch-headers', 'literal', 'move', 'logout']);
  });

  it('points each lesson at a letter the practice server’s INBOX really has', () => {
    const subjects = PRACTICE_LETTERS.map((l) => l.subject);
    for (const l of LESSONS) {
      if (l.letter === null) continue;
      expect({ lesson: l.id, found: subjects.some((s) => s.startsWith(`${l.letter}:`)) }).toEqual({
        lesson: l.id,
        found: true,
      });
    }
  });

  it('one session can meet several lessons; each is placed at the event that met it', () => {
    const r = run([
      ...LOGIN,
      'C:a2 EXAMINE INBOX\r\n',
      'S:a2 OK [READ-ONLY] Completed\r\n',
      'C:a3 LOGOUT\r\n',
      'S:* BYE Logging out\r\n',
      'S:a3 OK Logout completed\r\n',
    ]);
    const found = lessonsMet(bySeq(r.events));
    expect([...found.keys()]).toEqual(['login', 'examine', 'logout']);
    const examine = r.of('exchange').find((x) => x.command === 'EXAMINE')!;
    expect(found.get('examine')?.seq).toBe(examine.seq);
  });
});

describe('progress through the course', () => {
  class MemoryStorage {
    items = new Map<string, string>();
    getItem = (k: string) => this.items.get(k) ?? null;
    setItem = (k: string, v: string) => void this.items.set(k, v);
    removeItem = (k: string) => void this.items.delete(k);
  }
  const examineSession = () =>
    bySeq(run([...LOGIN, 'C:a2 EXAMINE INBOX\r\n', 'S:a2 OK [READ-ONLY] Completed\r\n']).events);

  it('ticks off what a session met, keeps it in storage, and a new page reads it back', () => {
    const storage = new MemoryStorage();
    const progress = new LessonProgress(storage, () => 42);
    expect(progress.current?.id).toBe('login');
    expect(progress.observe('s1', examineSession())).toEqual(['login', 'examine']);
    expect(progress.observe('s1', examineSession())).toEqual([]);
    expect(progress.get('examine')).toEqual({
      session: 's1',
      seq: expect.any(Number),
      detail: 'a2 EXAMINE OK: INBOX is selected read-only',
      at: 42,
    });
    const again = new LessonProgress(storage);
    expect(again.doneCount).toBe(2);
    expect(again.current?.id).toBe('fetch-headers');
  });

  it('a later session adds to the progress; reset forgets it, in storage too', () => {
    const storage = new MemoryStorage();
    const progress = new LessonProgress(storage);
    progress.observe('s1', bySeq(run(LOGIN).events));
    progress.observe('s2', examineSession());
    expect(progress.get('login')?.session).toBe('s1');
    expect(progress.get('examine')?.session).toBe('s2');
    progress.reset();
    expect(progress.doneCount).toBe(0);
    expect(new LessonProgress(storage).doneCount).toBe(0);
  });

  it('ignores saved progress that is malformed or for lessons no longer in the course', () => {
    const storage = new MemoryStorage();
    storage.setItem(LESSON_PROGRESS_KEY, '{not json');
    expect(new LessonProgress(storage).doneCount).toBe(0);
    storage.setItem(
      LESSON_PROGRESS_KEY,
      JSON.stringify({
        gone: { session: 's', seq: 1, detail: 'x', at: 1 },
        login: { session: 's', seq: 'x' },
        examine: { session: 's', seq: 3, detail: 'ok', at: 1 },
      }),
    );
    const p = new LessonProgress(storage);
    expect(p.doneCount).toBe(1);
    expect(p.get('examine')?.detail).toBe('ok');
  });

  it('works without storage, and when storage refuses to save', () => {
    const refusing = {
      getItem: () => null,
      setItem: () => {
        throw new Error('QuotaExceededError');
      },
      removeItem: () => undefined,
    };
    const p = new LessonProgress(refusing);
    expect(p.observe('s1', bySeq(run(LOGIN).events))).toEqual(['login']);
    expect(new LessonProgress(null).doneCount).toBe(0);
  });
});
