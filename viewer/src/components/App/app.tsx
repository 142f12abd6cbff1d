import { Suspense, useCallback, useEffect, useState } from 'react';
import '../views.css';
import type { AppStore } from '../../state/app-store.ts';
import { useEmitter } from '../../state/emitter.ts';
import { SessionList } from '../SessionList/session-list.tsx';
import { ConnectionStatus } from './connection-status.tsx';
import { useRoute } from './use-route.ts';
import { useTheme } from './use-theme.ts';
import { AuditPage, ConsolePage, SessionView, StatsPage } from './views.ts';

/** The page: a top bar (brand, where you are, connection, theme) over the list or one session. */
export function App({ store }: { store: AppStore }) {
  useEmitter(store.emitter);
  const [route, go] = useRoute();
  // Stable, so the list's rows (memo) are not redrawn with every change of the store.
  const openSession = useCallback((id: string) => go({ page: 'session', id }), [go]);
  const [theme, toggleTheme] = useTheme();
  // On the console page the open session is the console's own, once it shows up in the list.
  const [consoleSession, setConsoleSession] = useState<string | null>(null);
  const sessionId =
    route.page === 'session' ? route.id : route.page === 'console' ? consoleSession : null;
  useEffect(() => store.openSession(sessionId), [store, sessionId]);
  return (
    <div className="app">
      <header className="topbar">
        <a className="brand" href="#/">
          imap<span>scope</span>
        </a>
        <nav className="nav" aria-label="Views">
          <a
            href="#/"
            aria-current={route.page === 'list' || route.page === 'session' ? 'page' : undefined}
          >
            Sessions
          </a>
          <a
            href="#/audit"
            aria-current={route.page === 'audit' ? 'page' : undefined}
            data-testid="nav-audit"
          >
            Audit
          </a>
          <a
            href="#/stats"
            aria-current={route.page === 'stats' ? 'page' : undefined}
            data-testid="nav-stats"
          >
            Statistics
          </a>
        </nav>
        {route.page === 'console' ? (
          <span className="crumb">
            <a href="#/">sessions</a> / console
          </span>
        ) : sessionId ? (
          <span className="crumb">
            <a href="#/">sessions</a> / {sessionId}
          </span>
        ) : null}
        <span className="spacer" />
        {store.consoleEnabled && route.page !== 'console' ? (
          <a className="button" href="#/console" data-testid="open-console">
            ⌨ Console
          </a>
        ) : null}
        <span className="hint">
          <kbd>j</kbd>/<kbd>k</kbd> move · <kbd>enter</kbd> open · <kbd>esc</kbd> back
        </span>
        <ConnectionStatus status={store.status} detail={store.statusDetail} />
        <button
          type="button"
          onClick={toggleTheme}
          title="Switch light/dark theme"
          data-testid="theme"
        >
          {theme === 'dark' ? '☀ Light' : '☾ Dark'}
        </button>
      </header>
      <main className="main">
        {/* The views other than the list load their chunk when first shown (views.ts). */}
        <Suspense fallback={null}>
          {route.page === 'console' ? (
            <ConsolePage store={store} onSession={setConsoleSession} />
          ) : route.page === 'audit' ? (
            <AuditPage store={store} onOpen={(id, at) => go({ page: 'session', id, at })} />
          ) : route.page === 'stats' ? (
            <StatsPage store={store} />
          ) : sessionId && store.session?.id === sessionId ? (
            <SessionView
              key={sessionId}
              store={store}
              model={store.session}
              at={route.page === 'session' ? (route.at ?? null) : null}
              onBack={() => go({ page: 'list' })}
            />
          ) : sessionId ? null : (
            <SessionList store={store} onOpen={openSession} />
          )}
        </Suspense>
      </main>
    </div>
  );
}
