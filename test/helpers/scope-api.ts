/** The REST API of a running imapscope (the real process), as tests read it: rows, events, exports. */
import { readFileSync } from 'node:fs';
import { ImapFlow } from 'imapflow';
import type { ImapscopeEvent } from '../../shared/events.ts';
import type { EventPage, SessionRow } from '../../shared/protocol.ts';
import { fromJson } from '../../shared/protocol.ts';
import type { Dovecot } from './dovecot.ts';
import type { Imapscope } from './imapscope.ts';
import { PLAIN } from './scope-over-dovecot.ts';

function token(scope: Imapscope): string {
  return new URL(scope.url).searchParams.get('token') ?? '';
}

/** GET an /api path with the token; the body as a Buffer (throws on a non-200). */
export async function apiGet(scope: Imapscope, path: string): Promise<Buffer> {
  const res = await fetch(`http://${scope.ui.host}:${scope.ui.port}${path}`, {
    headers: { authorization: `Bearer ${token(scope)}` },
  });
  const body = Buffer.from(await res.arrayBuffer());
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${body.toString()}`);
  return body;
}

export async function sessionRows(scope: Imapscope): Promise<SessionRow[]> {
  return JSON.parse((await apiGet(scope, '/api/sessions')).toString()) as SessionRow[];
}

/**
 * Polls the session list until `id` has ended (its session.close went through inspection)
 * with `reason` (any reason when not given).
 */
export async function endedRow(
  scope: Imapscope,
  id: string,
  reason?: string,
  timeoutMs = 30_000,
): Promise<SessionRow> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const row = (await sessionRows(scope)).find((r) => r.id === id);
    if (row?.endedAt != null && (reason === undefined || row.reason === reason)) return row;
    if (Date.now() > deadline) throw new Error(`session ${id} did not end: ${JSON.stringify(row)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Every event of a session, page by page. */
export async function sessionEvents(scope: Imapscope, id: string): Promise<ImapscopeEvent[]> {
  const out: ImapscopeEvent[] = [];
  let after = 0;
  for (;;) {
    const page = fromJson(
      (await apiGet(scope, `/api/sessions/${id}/events?afterSeq=${after}&limit=5000`)).toString(),
    ) as EventPage;
    out.push(...page.events);
    if (page.nextAfterSeq === null) return out;
    after = page.nextAfterSeq;
  }
}

/** Peak resident set of a process (VmHWM), in bytes. */
export function peakRss(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0) * 1024;
}

/** Appends a message to Dovecot's INBOX directly (not through imapscope). */
export async function appendDirect(dovecot: Dovecot, message: Buffer): Promise<void> {
  const c = new ImapFlow({
    host: dovecot.host,
    port: dovecot.port,
    secure: false,
    auth: { user: dovecot.user, pass: dovecot.password },
    logger: false,
    ...PLAIN,
  });
  await c.connect();
  await c.append('INBOX', message);
  await c.logout();
}
