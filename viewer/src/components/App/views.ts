/**
 * The views the session list does not need, each in its own chunk, loaded the first time one
 * is shown: the page's first bundle is React, the store and the list. The session view is
 * fetched ahead once the list is drawn (prefetchSessionView), so opening a session does not
 * wait for its chunk.
 */
import { lazy } from 'react';

const sessionView = () => import('../SessionView/session-view.tsx');

export const SessionView = lazy(() => sessionView().then((m) => ({ default: m.SessionView })));
export const ConsolePage = lazy(() =>
  import('../Console/console-page.tsx').then((m) => ({ default: m.ConsolePage })),
);
export const AuditPage = lazy(() =>
  import('../Audit/audit-page.tsx').then((m) => ({ default: m.AuditPage })),
);
export const StatsPage = lazy(() =>
  import('../Stats/stats-page.tsx').then((m) => ({ default: m.StatsPage })),
);

let prefetched = false;

/** Loads the session view's chunk when the page is idle; the first call only. */
export function prefetchSessionView(): void {
  if (prefetched) return;
  prefetched = true;
  const load = (): void => void sessionView().catch(() => (prefetched = false));
  if (typeof requestIdleCallback === 'function') requestIdleCallback(load, { timeout: 2_000 });
  else setTimeout(load, 200);
}
