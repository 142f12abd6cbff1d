/**
 * The views the session list does not need, each in its own chunk, loaded the first time one
 * is shown: the page's first bundle is React, the store and the list. The session view is
 * fetched ahead when the pointer comes over the list (prefetchSessionView), so a click on a
 * row seldom waits for its chunk.
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

/**
 * Loads the session view's chunk ahead of a click: the list calls it when the pointer comes
 * over its rows, not once they are drawn, so nothing competes with the list's first draw and
 * what follows it. The first call only (again after a failed load).
 */
export function prefetchSessionView(): void {
  if (prefetched) return;
  prefetched = true;
  sessionView().catch(() => (prefetched = false));
}
