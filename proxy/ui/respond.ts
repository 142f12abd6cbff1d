import type { ServerResponse } from 'node:http';
import type { ApiErrorCode } from '../../shared/protocol.ts';

export const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

/** Sends a body with the security headers every response carries. */
export function send(
  res: ServerResponse,
  status: number,
  type: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': type, ...SECURITY_HEADERS, ...headers });
  res.end(body);
}

/** `{ error: { code, message } }` with the status. */
export function sendError(
  res: ServerResponse,
  status: number,
  code: ApiErrorCode,
  message: string,
): void {
  send(res, status, 'application/json', JSON.stringify({ error: { code, message } }));
}
