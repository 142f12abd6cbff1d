import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { ImapscopeEvent } from '../../shared/events.ts';
import { fromJson } from '../../shared/protocol.ts';
import { useDovecot } from '../helpers/dovecot.ts';
import { REPO_ROOT } from '../helpers/imapscope.ts';

// Dovecot's classic `rawlog` post-login program: the bytes alone, no timestamps.
const dovecot = useDovecot({ rawlog: 'postlogin' });
const data = mkdtempSync(path.join(os.tmpdir(), 'imapscope-rawlog-'));
afterAll(() => rmSync(data, { recursive: true, force: true }));

const CLIENT = fileURLToPath(new URL('../helpers/imaplib-rawlog-session.py', import.meta.url));

function imapscope(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(
    process.execPath,
    [path.join(REPO_ROOT, 'proxy/imapscope.mjs'), ...args, '--data', data],
    { encoding: 'utf8', cwd: REPO_ROOT, timeout: 60_000 },
  );
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The rawlog pair of the session, once Dovecot has written the LOGOUT's completion. */
async function capture(): Promise<string> {
  const d = dovecot();
  execFileSync('python3', [CLIENT, d.host, String(d.port), d.user, d.password]);
  const dir = d.rawlogDir!;
  for (;;) {
    const out = readdirSync(dir).find((n) => n.endsWith('.out'));
    if (out && /OK Logout completed/.test(readFileSync(path.join(dir, out), 'latin1'))) {
      return path.join(dir, out.slice(0, -'.out'.length));
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('a Dovecot rawlog without timestamps, from a real imaplib session', () => {
  let stem = '';
  let events: ImapscopeEvent[] = [];

  it('is what Dovecot wrote: bytes only, the client sends its APPEND literal after the +', async () => {
    stem = await capture();
    const sent = readFileSync(`${stem}.in`, 'latin1');
    const received = readFileSync(`${stem}.out`, 'latin1');
    expect(sent).toMatch(/^\w+ SELECT INBOX\r\n/);
    expect(sent).toMatch(/ APPEND INBOX \{\d+\}\r\nSubject: rawlog/);
    expect(received).toMatch(/^\* CAPABILITY /);
    expect(received).toMatch(/\r\n\+ OK\r\n/);
  });

  it('imports as one session in protocol order: every command answered, none aborted', () => {
    const r = imapscope('import', `${stem}.in`);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    const [id, kind] = r.stdout.split('\t');
    expect(kind).toBe('rawlog');
    const exported = imapscope('export', id!, '--format', 'jsonl');
    events = exported.stdout
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => fromJson<ImapscopeEvent>(l));
    const exchanges = events.flatMap((e) =>
      e.type === 'exchange' ? [`${e.command} ${e.status ?? 'aborted'}`] : [],
    );
    expect(exchanges).toEqual(['SELECT OK', 'APPEND OK', 'FETCH OK', 'IDLE OK', 'LOGOUT OK']);
    // Every tagged line the server sent for a command in the .in file completed that command.
    const tags = new Set(events.flatMap((e) => (e.type === 'exchange' ? [e.tag] : [])));
    const login = /^(\S+) OK Logged in/m.exec(readFileSync(`${stem}.out`, 'latin1'))![1]!;
    const tagged = [...readFileSync(`${stem}.out`, 'latin1').matchAll(/^(\w+) (?:OK|NO|BAD) /gm)];
    expect(tagged.map((m) => m[1]).filter((t) => t !== login && !tags.has(t!))).toEqual([]);
    const lints = events.flatMap((e) => (e.type === 'lint' ? [e] : []));
    expect(lints.filter((l) => l.code === 'LINT_LITERAL_NOT_SYNCHRONIZED')).toEqual([]);
    // The one completion without its command is the login's: imap-login received LOGIN, and
    // Dovecot's post-login rawlog starts after it. The tracker is told so: no unknown tag, and
    // the session is Authenticated by that login before its SELECT.
    expect(lints.map((l) => l.code)).toEqual([]);
    const path = events.flatMap((e) => (e.type === 'state.change' ? [e] : []));
    expect(path.map((p) => p.to)).toEqual(['authenticated', 'selected', 'logout']);
    expect(path[0]!.cause).toMatchObject({ tag: login, command: null });
    const close = events.find((e) => e.type === 'session.close');
    expect(close).toMatchObject({
      reason: expect.stringContaining(`post-login rawlog: ${login} is the login`),
    });
  });

  it("is dated by the files' modification time, with the note that says so", () => {
    const mtime = Math.floor(
      Math.max(statSync(`${stem}.in`).mtimeMs, statSync(`${stem}.out`).mtimeMs),
    );
    expect(events.every((e) => e.at === mtime)).toBe(true);
    expect(events.find((e) => e.type === 'session.close')).toMatchObject({
      reason: expect.stringContaining("dated by the file's modification time"),
    });
  });

  it('is refused when imported again, through either half, naming the first session', () => {
    for (const half of ['.in', '.out']) {
      const r = imapscope('import', `${stem}${half}`);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(
        new RegExp(
          `^imapscope: .*\\.in/\\.out was already imported as session \\w+ \\(from .*\\)\\n$`,
        ),
      );
    }
  });
});
