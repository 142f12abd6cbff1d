import type { ImapState, LintEvent } from '../../../../shared/events.ts';
import { rfcLinks, STATE_LABELS } from '../../format.ts';
import type { SessionModel } from '../../state/session-model.ts';
import { Markdown } from './markdown.tsx';
import { teachingFor } from './reference-for.ts';

/**
 * For learners: what the selected command or response means (the teaching reference), in
 * which states it is valid, where the RFC says so, and the lints about it in plain words.
 */
export function TeachPanel({ model, seq }: { model: SessionModel; seq: number | null }) {
  const e = seq === null ? undefined : model.events[seq];
  const group = seq === null ? undefined : model.groupOf(seq);
  const t = teachingFor(e, group?.command ?? null);
  const lintSeqs = e?.type === 'lint' ? [e.seq] : (group?.lints ?? []);
  const lints = lintSeqs
    .map((s) => model.events[s])
    .filter((x): x is LintEvent => x?.type === 'lint');
  const stateThen = group ? stateAt(model, group.seq) : null;
  return (
    <section className="panel" data-testid="teach">
      <h3>Teach</h3>
      {!e ? <p className="muted">Select a command or response to learn what it does.</p> : null}
      {t.command ? (
        <div data-testid="teach-command">
          <p className="lead">
            <b className="mono">{t.command.name}</b>
            {t.command.ref?.args ? <code> {t.command.ref.args}</code> : null}
          </p>
          {t.command.ref ? (
            <>
              <p>
                <Markdown text={t.command.ref.summary} />
              </p>
              <div className="states">
                Valid in:{' '}
                {t.command.ref.states.map((s) => (
                  <span key={s} className={`pill state-${s}`}>
                    {STATE_LABELS[s]}
                  </span>
                ))}
              </div>
              {stateThen && !t.command.ref.states.includes(stateThen) ? (
                <p className="muted">
                  The session was in <b>{STATE_LABELS[stateThen]}</b> when this was sent.
                </p>
              ) : null}
              {t.command.ref.capability ? (
                <p className="muted">Needs the {t.command.ref.capability} capability.</p>
              ) : null}
              <Rfc text={t.command.ref.rfc} />
            </>
          ) : (
            <p>
              <b>{t.command.name}</b> is not an IMAP command imapscope knows; a server answers it
              with BAD.
            </p>
          )}
        </div>
      ) : null}
      {t.response ? (
        <div data-testid="teach-response">
          <p className="lead">
            Response <b className="mono">{t.response.name}</b>
          </p>
          {t.response.ref ? (
            <>
              <p>
                <Markdown text={t.response.ref.summary} />
              </p>
              <Rfc text={t.response.ref.rfc} />
            </>
          ) : null}
        </div>
      ) : null}
      {t.code?.ref ? (
        <div>
          <p className="lead">
            Response code <b className="mono">[{t.code.name}]</b>
          </p>
          <p>
            <Markdown text={t.code.ref.summary} />
          </p>
          <Rfc text={t.code.ref.rfc} />
        </div>
      ) : null}
      {lints.map((l) => (
        <div key={l.seq} className={`lintcard ${l.severity}`} data-testid="lint" data-code={l.code}>
          <div className="title">
            {l.severity === 'error' ? '✖' : l.severity === 'warning' ? '⚠' : 'ℹ'}{' '}
            <Markdown text={l.title} />
          </div>
          <p>
            <Markdown text={l.explanation} />
          </p>
          <div className="code">
            {l.code} · <Rfc text={l.rfc} inline />
          </div>
        </div>
      ))}
    </section>
  );
}

function Rfc({ text, inline }: { text: string; inline?: boolean }) {
  const links = rfcLinks(text);
  const body =
    links.length === 0
      ? text
      : links.map((l, i) => (
          <span key={l.href}>
            {i > 0 ? ' / ' : ''}
            <a href={l.href} target="_blank" rel="noreferrer">
              {l.label}
            </a>
          </span>
        ));
  return inline ? <span>{body}</span> : <p className="muted">{body}</p>;
}

/** The state the session was in just before `seq`. */
function stateAt(model: SessionModel, seq: number): ImapState {
  let s: ImapState = model.path[0]?.from ?? 'not-authenticated';
  for (const p of model.path) {
    if (p.seq > seq) break;
    s = p.to;
  }
  return s;
}
