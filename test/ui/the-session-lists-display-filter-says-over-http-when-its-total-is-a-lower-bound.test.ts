/**
 * `GET /api/sessions?filter=` over HTTP, on imapscope started over an archive of generated
 * sessions: the page comes with its total, whether that total is exact, and how much of the
 * list was searched (docs/openapi.json).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Archive } from '../../proxy/archive/archive.ts';
import { Hub } from '../../proxy/hub/hub.ts';
import { fromJson, type SessionRow } from '../../shared/protocol.ts';
import { filter, plainScan, playSessions } from '../archive/filtered-sessions.ts';
import { startImapscope, type Imapscope } from '../helpers/imapscope.ts';

const SESSIONS = 40;
const dir = mkdtempSync(path.join(os.tmpdir(), 'imapscope-filter-http-'));
let scope: Imapscope;
/** The sessions holding a NO, newest first, as a plain scan of every session finds them. */
let withNo: string[];

beforeAll(async () => {
  const archive = new Archive(path.join(dir, 'archive.sqlite'));
  const hub = new Hub();
  hub.add(archive);
  playSessions(hub, SESSIONS);
  await archive.settle();
  withNo = (await plainScan(archive, filter('status:NO'))).map((x) => x.split(':')[0]!);
  await archive.close();
  // The generated sessions are from 1970: kept (--retain-days 0).
  scope = await startImapscope(['--data', dir, '--retain-days', '0']);
  const token = new URL(scope.url).searchParams.get('token')!;
  const probe = `http://${scope.ui.host}:${scope.ui.port}/api/audit?limit=1&token=${token}`;
  // The archive opens beside the start: until then its routes answer 503.
  while ((await fetch(probe)).status === 503) await new Promise((r) => setTimeout(r, 100));
}, 120_000);

afterAll(async () => {
  await scope?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function list(query: string): Promise<{ ids: string[]; headers: Headers }> {
  const url = new URL(`/api/sessions?${query}`, scope.url);
  url.searchParams.set('token', new URL(scope.url).searchParams.get('token')!);
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return { ids: fromJson<SessionRow[]>(await res.text()).map((r) => r.id), headers: res.headers };
}

describe('the session list’s display filter over HTTP', () => {
  it('answers a first page with a lower-bound total and how far it searched, and the last page with the exact total', async () => {
    expect(withNo.length).toBeGreaterThan(4);
    const first = await list('filter=status%3ANO&limit=2');
    expect(first.ids).toEqual(withNo.slice(0, 2));
    expect(first.headers.get('x-total-count')).toBe('3');
    expect(first.headers.get('x-total-exact')).toBe('false');
    const searched = Number(first.headers.get('x-filter-searched'));
    expect(searched).toBeGreaterThanOrEqual(3);
    expect(searched).toBeLessThan(SESSIONS);
    expect(first.headers.get('x-filter-sessions')).toBe(String(SESSIONS));

    const last = await list(`filter=status%3ANO&limit=2&offset=${withNo.length - 1}`);
    expect(last.ids).toEqual(withNo.slice(-1));
    expect(last.headers.get('x-total-count')).toBe(String(withNo.length));
    expect(last.headers.get('x-total-exact')).toBe('true');
    expect(last.headers.get('x-filter-searched')).toBe(String(SESSIONS));
  });

  it('says every other total is exact', async () => {
    const all = await list('limit=5');
    expect(all.headers.get('x-total-count')).toBe(String(SESSIONS));
    expect(all.headers.get('x-total-exact')).toBe('true');
    expect(all.headers.get('x-filter-searched')).toBeNull();
  });
});
