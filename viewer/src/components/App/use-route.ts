import { useCallback, useEffect, useState } from 'react';

/**
 * The page's route lives in the hash (`#/session/<id>`, `#/session/<id>/at/<seq>` to open at a
 * row, `#/audit`, `#/stats`) so the `?token=` query stays put.
 */
export type Route =
  | { page: 'list' }
  | { page: 'session'; id: string; at?: number }
  | { page: 'console' }
  | { page: 'audit' }
  | { page: 'stats' };

export function parseRoute(hash: string): Route {
  if (hash === '#/console') return { page: 'console' };
  if (hash === '#/audit' || hash.startsWith('#/audit?')) return { page: 'audit' };
  if (hash === '#/stats' || hash.startsWith('#/stats?')) return { page: 'stats' };
  const m = /^#\/session\/([^/]+)(?:\/at\/(\d+))?$/.exec(hash);
  if (!m) return { page: 'list' };
  const id = decodeURIComponent(m[1]!);
  return m[2] === undefined ? { page: 'session', id } : { page: 'session', id, at: Number(m[2]) };
}

export function routeHash(route: Route): string {
  switch (route.page) {
    case 'console':
    case 'audit':
    case 'stats':
      return `#/${route.page}`;
    case 'session':
      return `#/session/${encodeURIComponent(route.id)}${route.at === undefined ? '' : `/at/${route.at}`}`;
    case 'list':
      return '#/';
  }
}

export function useRoute(): [Route, (r: Route) => void] {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onHash = (): void => setRoute(parseRoute(location.hash));
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  const go = useCallback((r: Route) => {
    location.hash = routeHash(r);
  }, []);
  return [route, go];
}
