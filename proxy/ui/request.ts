/**
 * What the UI server decides about a request before any handler runs: is its target a path it
 * can read, and does it carry the token. Malformed input is a value here, never a throw: one
 * hostile request must not be able to end the process (the relay runs in it too).
 */
import type { IncomingMessage } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import type { ApiErrorCode } from '../../shared/protocol.ts';

/** A refusal: the status, a stable code and a one-line message. */
export interface Refusal {
  status: 400 | 401 | 403 | 404 | 421 | 500;
  code: ApiErrorCode;
  message: string;
}

export type Checked<T> = { ok: true; value: T } | { ok: false; refusal: Refusal };

const refuse = (status: Refusal['status'], code: ApiErrorCode, message: string) =>
  ({ ok: false, refusal: { status, code, message } }) as const;

const badRequest = (message: string) => refuse(400, 'ERR_API_BAD_REQUEST', message);

/**
 * The request target as a URL. Only origin-form targets are accepted: `/` followed by
 * anything but a second `/` or `\` (which a URL parser would read as a host, `//:1/`
 * throws). Anything else is a 400.
 */
export function requestUrl(req: IncomingMessage): Checked<URL> {
  const target = req.url ?? '';
  if (!target.startsWith('/') || target.startsWith('//') || target.startsWith('/\\')) {
    return badRequest('the request target must be a path starting with a single /');
  }
  try {
    return { ok: true, value: new URL(target, 'http://localhost') };
  } catch {
    return badRequest('the request target is not a valid path');
  }
}

/** The path's segments after the leading `/`, percent-decoded; a bad escape (`%ZZ`) is a 400. */
export function pathSegments(url: URL): Checked<string[]> {
  try {
    return { ok: true, value: url.pathname.split('/').slice(1).map(decodeURIComponent) };
  } catch {
    return badRequest('the path has a malformed %-escape');
  }
}

/** The cookie the viewer's page gets: one name per UI port, so other ports on the host never see it. */
export function cookieName(port: number): string {
  return `imapscope_token_${port}`;
}

/**
 * Whether the request carries the token: `?token=`, `Authorization: Bearer …`,
 * `X-Imapscope-Token`, or the cookie named by {@link cookieName} (set when the page was opened
 * with `?token=`, so the viewer's own scripts and styles load). Compared in constant time. A
 * cookie that is not valid percent-encoding is a 400; no token at all, or a wrong one, a 401.
 */
export function checkToken(
  req: IncomingMessage,
  url: URL,
  token: string,
  cookie: string,
): Checked<true> {
  const auth = req.headers.authorization;
  const header = req.headers['x-imapscope-token'];
  let offered: string | undefined =
    url.searchParams.get('token') ??
    (auth?.startsWith('Bearer ') ? auth.slice(7) : undefined) ??
    (typeof header === 'string' ? header : undefined);
  if (offered === undefined) {
    const raw = cookieValue(req.headers.cookie, cookie);
    if (raw !== undefined) {
      try {
        offered = decodeURIComponent(raw);
      } catch {
        return badRequest(`the ${cookie} cookie is not valid percent-encoding`);
      }
    }
  }
  if (offered !== undefined) {
    const a = Buffer.from(offered);
    const b = Buffer.from(token);
    if (a.length === b.length && timingSafeEqual(a, b)) return { ok: true, value: true };
  }
  return refuse(401, 'ERR_API_UNAUTHORIZED', 'a valid token is required (?token=…)');
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * A WebSocket upgrade is same-origin when it has no Origin (not a browser) or its Origin's
 * host is the Host it was sent to. Anything else is refused, token or not.
 */
export function sameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

/** The loopback names the UI always answers to (with its port). */
export const LOOPBACK_HOST_NAMES = ['localhost', '127.0.0.1', '[::1]'];

/**
 * Whether the Host header names this server: one of `names` (lower case, IPv6 in brackets)
 * with the port the request arrived on, or without a port when that is the scheme's default.
 * Anything else, a missing Host included, is a 421: a DNS-rebound page sends its own name.
 */
export function checkHost(
  req: IncomingMessage,
  names: readonly string[],
  port: number,
  defaultPort: number,
): Checked<true> {
  const host = req.headers.host?.toLowerCase();
  if (host !== undefined) {
    for (const name of names) {
      if (host === `${name}:${port}` || (port === defaultPort && host === name)) {
        return { ok: true, value: true };
      }
    }
  }
  return refuse(
    421,
    'ERR_API_MISDIRECTED',
    `this server answers to Host ${names.map((n) => `${n}:${port}`).join(', ')} (see --ui-host)`,
  );
}
