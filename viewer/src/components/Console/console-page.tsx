import { useEffect, useRef, useState } from 'react';
import type { ImapState } from '../../../../shared/events.ts';
import { withToken } from '../../api.ts';
import { STATE_LABELS } from '../../format.ts';
import type { AppStore } from '../../state/app-store.ts';
import { ConsoleModel } from '../../state/console-model.ts';
import { useEmitter } from '../../state/emitter.ts';
import { LessonProgress } from '../../state/lesson-progress.ts';
import { SessionView } from '../SessionView/session-view.tsx';
import { LessonsPanel } from './lessons-panel.tsx';

/** One-click examples for the state the console's session is in (the practice account). */
const EXAMPLES: Record<ImapState, string[]> = {
  'not-authenticated': ['CAPABILITY', 'LOGIN learner practice'],
  authenticated: ['CREATE mailbox1', 'LIST "" "*"', 'SELECT INBOX', 'LOGOUT'],
  selected: ['FETCH 1:3 (FLAGS ENVELOPE)', 'FETCH 1:3', 'SEARCH UNSEEN', 'CLOSE', 'LOGOUT'],
  logout: [],
};

type Link = 'connecting' | 'open' | 'closed';

/**
 * The console: type IMAP, watch it go out through imapscope's own listener (a real session,
 * in the list and the archive) and the answer come back; beside it the session view of that
 * very session draws the exchanges, lints and state diagram as they happen.
 */
export function ConsolePage(props: { store: AppStore; onSession: (id: string | null) => void }) {
  const { store, onSession } = props;
  useEmitter(store.emitter);
  useEmitter(store.list.emitter);
  const [link, setLink] = useState<Link>('connecting');
  const [local, setLocal] = useState<string | null>(null);
  // One model per connection: a new session's tags start at A0001 again.
  const [model, setModel] = useState(() => new ConsoleModel());
  useEmitter(model.emitter);

  useEffect(() => {
    const u = new URL(withToken('/console', store.token), location.href);
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(u);
    ws.binaryType = 'arraybuffer';
    model.attach((bytes) => ws.send(bytes));
    ws.onmessage = (m: MessageEvent<string | ArrayBuffer>) => {
      if (typeof m.data !== 'string') return model.receive(new Uint8Array(m.data));
      const c = JSON.parse(m.data) as { type: string; local?: string; reason?: string };
      if (c.type === 'open' && c.local) {
        setLocal(c.local);
        setLink('open');
      } else if (c.type === 'closed') model.note(`connection closed: ${c.reason ?? ''}`);
    };
    ws.onclose = () => setLink('closed');
    return () => {
      model.attach(() => undefined);
      ws.close();
    };
  }, [model, store.token]);

  // The session this console is: the one whose client address is the bridge's socket.
  const sessionId = local ? (store.list.list().find((r) => r.client === local)?.id ?? null) : null;
  useEffect(() => {
    onSession(sessionId);
  }, [sessionId, onSession]);
  const session = sessionId && store.session?.id === sessionId ? store.session : null;
  const state: ImapState = session?.state ?? 'not-authenticated';

  // The lessons are checked against this session's events as they arrive.
  const [progress] = useState(() => new LessonProgress(browserStorage()));
  useEffect(() => {
    if (!session) return;
    const check = (): void => void progress.observe(session.id, session.events);
    check();
    return session.emitter.subscribe(check);
  }, [session, progress]);

  return (
    <div className="console-page">
      <div className="console-side">
        <ConsolePanel
          model={model}
          link={link}
          examples={link === 'open' ? EXAMPLES[state] : []}
          state={state}
          onReconnect={() => {
            setLink('connecting');
            setLocal(null);
            setModel(new ConsoleModel());
          }}
        />
        <LessonsPanel progress={progress} />
      </div>
      <div className="console-session">
        {session ? (
          <SessionView key={session.id} store={store} model={session} onBack={() => undefined} />
        ) : (
          <p className="muted panel">
            {link === 'closed' && !store.consoleEnabled
              ? 'The console is off: imapscope runs against a real server without --console.'
              : 'Connecting through imapscope…'}
          </p>
        )}
      </div>
    </div>
  );
}

/** localStorage, or null where the browser refuses it (then progress lasts the page). */
function browserStorage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

function ConsolePanel(props: {
  model: ConsoleModel;
  link: Link;
  examples: string[];
  state: ImapState;
  onReconnect: () => void;
}) {
  const { model, link } = props;
  const [input, setInput] = useState('');
  // React state, not the model's field: the model's emitter coalesces renders to the next
  // animation frame, and a controlled checkbox reads a stale value until then (a click
  // seemed not to change it). A new model (reconnect) gets the box's setting.
  const [autoTag, setAutoTag] = useState(model.autoTag);
  useEffect(() => {
    if (model.autoTag !== autoTag) model.setAutoTag(autoTag);
  }, [model, autoTag]);
  /** Position in the history while browsing it with the arrows (history.length: the new line). */
  const [back, setBack] = useState<number | null>(null);
  const end = useRef<HTMLDivElement>(null);
  useEffect(() => {
    end.current?.scrollIntoView({ block: 'nearest' });
  }, [model.lines.length]);
  const literal = model.awaitingLiteral;
  const send = (): void => {
    model.submit(input);
    setInput('');
    setBack(null);
  };
  const browse = (step: number): void => {
    const h = model.history;
    if (h.length === 0) return;
    const at = Math.min(h.length, Math.max(0, (back ?? h.length) + step));
    setBack(at);
    setInput(at === h.length ? '' : h[at]!);
  };
  return (
    <section className="panel console" data-testid="console">
      <h3>
        Console <span className="caption">· {STATE_LABELS[props.state]}</span>
      </h3>
      <div className="transcript" data-testid="console-transcript" aria-live="polite">
        {model.lines.map((l, i) => (
          <div key={i} className={`cline ${l.dir}`}>
            <span className="dir">{l.dir === 'c2s' ? 'C:' : l.dir === 's2c' ? 'S:' : '·'}</span>
            <span className="text">{l.text}</span>
          </div>
        ))}
        <div ref={end} />
      </div>
      <form
        className="console-input"
        onSubmit={(e) => {
          e.preventDefault();
          if (link === 'open') send();
        }}
      >
        <span className="prompt mono" title="The tag this line will get">
          {literal
            ? `{${literal.size}}${literal.mayGo ? '' : ' …+'}`
            : model.autoTag
              ? model.nextTag
              : '›'}
        </span>
        <input
          value={input}
          onChange={(e) => setInput(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'ArrowUp') browse(-1);
            else if (e.key === 'ArrowDown') browse(1);
            else return;
            e.preventDefault();
          }}
          placeholder={
            literal
              ? 'the literal’s bytes'
              : model.autoTag
                ? 'e.g. LOGIN learner practice'
                : 'a1 NOOP'
          }
          aria-label="IMAP line"
          data-testid="console-input"
          disabled={link !== 'open'}
          autoComplete="off"
          spellCheck={false}
        />
        <button type="submit" disabled={link !== 'open'}>
          Send
        </button>
      </form>
      <div className="console-tools">
        <label title="Put A0001, A0002… in front of each command">
          <input
            type="checkbox"
            checked={autoTag}
            onChange={(e) => {
              setAutoTag(e.target.checked);
              model.setAutoTag(e.target.checked);
            }}
            data-testid="console-autotag"
          />{' '}
          number tags
        </label>
        {props.examples.map((x) => (
          <button
            key={x}
            type="button"
            className="example"
            onClick={() => model.example(x)}
            title={`Send ${model.nextTag} ${x}`}
          >
            {x}
          </button>
        ))}
        {link === 'closed' ? (
          <button type="button" onClick={props.onReconnect} data-testid="console-reconnect">
            ↻ New session
          </button>
        ) : null}
      </div>
    </section>
  );
}
