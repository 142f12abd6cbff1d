import { useState } from 'react';
import type { LessonProgress } from '../../state/lesson-progress.ts';
import { useEmitter } from '../../state/emitter.ts';
import { LESSONS } from '../../state/lessons.ts';
import { Markdown } from '../Teach/markdown.tsx';

/**
 * The course beside the console: each lesson's goal, ticked off when the console session's
 * events meet it (not by what was typed). The first lesson not done is open; any other opens
 * on click. Progress lives in the browser; "Start over" forgets it.
 */
export function LessonsPanel(props: { progress: LessonProgress }) {
  const { progress } = props;
  useEmitter(progress.emitter);
  const current = progress.current;
  const [open, setOpen] = useState<string | null>(null);
  const shown = open ?? current?.id ?? null;
  return (
    <section className="panel lessons" data-testid="lessons">
      <h3>
        Lessons{' '}
        <span className="caption" data-testid="lessons-count">
          · {progress.doneCount} of {LESSONS.length} done
        </span>
        {progress.doneCount > 0 ? (
          <button
            type="button"
            onClick={() => {
              progress.reset();
              setOpen(null);
            }}
            data-testid="lessons-reset"
            title="Forget which lessons are done (kept in this browser)"
          >
            Start over
          </button>
        ) : null}
      </h3>
      {current === null ? (
        <p className="lessons-complete">All done: you spoke IMAP by hand. ✓</p>
      ) : null}
      <ol>
        {LESSONS.map((l, i) => {
          const done = progress.get(l.id);
          const expanded = shown === l.id;
          return (
            <li
              key={l.id}
              className={`lesson${done ? ' done' : ''}${expanded ? ' open' : ''}`}
              data-testid={`lesson-${l.id}`}
              data-done={done ? 'true' : 'false'}
            >
              <button
                type="button"
                className="lesson-title"
                aria-expanded={expanded}
                onClick={() => setOpen(expanded ? '' : l.id)}
              >
                <span className="lesson-mark" aria-label={done ? 'done' : 'to do'}>
                  {done ? '✓' : i + 1}
                </span>
                {l.title}
              </button>
              {expanded ? (
                <div className="lesson-body">
                  <p>
                    <Markdown text={l.goal} />
                  </p>
                  {done ? (
                    <p className="lesson-done mono" data-testid="lesson-done-detail">
                      ✓ {done.detail}
                    </p>
                  ) : (
                    <details>
                      <summary>Hint</summary>
                      <Markdown text={l.hint} />
                    </details>
                  )}
                  {l.letter ? (
                    <p className="caption">
                      More in the INBOX letter “{l.letter}…” of the practice server.
                    </p>
                  ) : null}
                </div>
              ) : null}
            </li>
          );
        })}
      </ol>
    </section>
  );
}
