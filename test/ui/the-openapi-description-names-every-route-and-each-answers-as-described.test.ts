import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImapscopeEvent } from '../../shared/events.ts';
import { fromJson } from '../../shared/protocol.ts';
import type { EventPage, SessionRow } from '../../shared/protocol.ts';
import { REPO_ROOT, startImapscope, type Imapscope } from '../helpers/imapscope.ts';
import { converse } from '../helpers/raw-imap.ts';

interface Spec {
  paths: Record<string, { get: { responses: Record<string, unknown> } }>;
}

const spec = JSON.parse(readFileSync(path.join(REPO_ROOT, 'docs/openapi.json'), 'utf8')) as Spec;

/** The routes the API's own module comments list (`GET /api/...`), in OpenAPI's `{id}` form. */
function routesInCode(): string[] {
  const files = ['proxy/ui/api.ts', 'proxy/ui/query-routes.ts', 'proxy/ui/http.ts'];
  const routes = new Set<string>();
  for (const f of files) {
    const text = readFileSync(path.join(REPO_ROOT, f), 'utf8');
    for (const m of text.matchAll(/`GET (\/(?:api\/|metrics|healthz)[^`?\s]*)/g)) {
      routes.add(m[1]!.replace(/:(\w+)/g, '{$1}'));
    }
  }
  return [...routes].sort();
}

let scope: Imapscope;

beforeAll(async () => {
  scope = await startImapscope();
});
afterAll(async () => {
  await scope?.stop();
});

async function get(route: string): Promise<Response> {
  const url = new URL(route, scope.url);
  url.searchParams.set('token', new URL(scope.url).searchParams.get('token')!);
  return fetch(url);
}

describe('the OpenAPI description', () => {
  it('lists exactly the routes the API documents in its code', () => {
    expect(Object.keys(spec.paths).sort()).toEqual(routesInCode());
  });

  it('is served, and every route in it answers a real session with a status it documents', async () => {
    const practice = scope.readyLine.practice as { user: string; password: string };
    const t = await converse(scope.listen.host, scope.listen.port, [
      `LOGIN ${practice.user} ${practice.password}`,
      'SELECT INBOX',
      'FETCH 1 (BODY.PEEK[])',
      'LOGOUT',
    ]);
    expect(t.replies[2]?.at(-1)).toMatch(/^a3 OK/);
    let session: SessionRow | undefined;
    for (let i = 0; i < 100 && !session; i++) {
      const rows = fromJson<SessionRow[]>(await (await get('/api/sessions?state=ended')).text());
      session = rows[0];
      if (!session) await new Promise((r) => setTimeout(r, 100));
    }
    const page = fromJson<EventPage>(
      await (await get(`/api/sessions/${session!.id}/events`)).text(),
    );
    const withLiteral = page.events.find(
      (e: ImapscopeEvent) => e.type === 'message' && e.message.raw.includes('FETCH ('),
    );
    expect(withLiteral).toBeDefined();

    const served = await get('/api/openapi.json');
    expect(served.status).toBe(200);
    expect(await served.json()).toEqual(spec);

    for (const [route, item] of Object.entries(spec.paths)) {
      const concrete = route
        .replace('{id}', session!.id)
        .replace('{seq}', String(withLiteral!.seq))
        .replace('{n}', '0');
      const res = await get(concrete);
      expect({ route, status: res.status }).toEqual({ route, status: 200 });
      expect(Object.keys(item.get.responses)).toContain('200');
    }
  });
});
