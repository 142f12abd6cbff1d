import { useCallback, useEffect, useState } from 'react';

/** The page's route lives in the hash (`#/session/<id>`) so the `?token=` query stays put. */
export type Route = { page: 'list' } | { page: 'session'; id: string } | { page: 'console' };

export function parseRoute(hash: string): Route {
  if (hash === '#/console') return { page: 'console' };
  const m = /^#\/session\/(.+)$/.exec(hash);
  return m ? { page: 'session', id: decodeURIComponent(m[1]!) } : { page: 'list' };
}

export function routeHash(route: Route): string {
  if (route.page === 'console') return '#/console';
  return route.page === 'session' ? `#/session/${encodeURIComponent(route.id)}` : '#/';
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
