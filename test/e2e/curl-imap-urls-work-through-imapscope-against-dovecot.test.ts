import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { useScopeOverDovecot } from '../helpers/scope-over-dovecot.ts';
import { useTempDir } from '../helpers/temp-dir.ts';

const execFileAsync = promisify(execFile);

// Debug level: one line per decoded message, so Malformed ones would show.
const stack = useScopeOverDovecot({ args: ['--log-level', 'debug'] });
const tmp = useTempDir('imapscope-curl-');

function url(suffix = ''): string {
  const { scope, dovecot } = stack();
  return `imap://${dovecot.user}:${dovecot.password}@${scope.listen.host}:${scope.listen.port}/${suffix}`;
}

async function curl(...args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('curl', ['--silent', '--show-error', ...args], {
    encoding: 'latin1',
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

describe("curl's imap:// through imapscope against Dovecot", () => {
  it('lists the mailboxes', async () => {
    const out = await curl(url());
    const names = out
      .trim()
      .split('\r\n')
      .map((line) => line.replace(/^\* LIST \([^)]*\) "\/" /, ''));
    expect(names.sort()).toEqual(['Drafts', 'INBOX', 'Sent', 'Trash']);
  });

  it('uploads a message and fetches it back by UID, byte for byte', async () => {
    const text =
      'From: curl@example.test\r\nTo: test@example.test\r\nSubject: via curl\r\n\r\n' +
      'Uploaded with curl -T through imapscope.\r\n';
    const file = path.join(tmp(), 'upload.eml');
    await writeFile(file, text);
    await curl('-T', file, url('INBOX'));
    expect(await curl(url('INBOX;UID=1'))).toBe(text);
    expect(await curl('-X', 'UID SEARCH ALL', url('INBOX'))).toBe('* SEARCH 1\r\n');
  });

  it('decodes every curl session with zero Malformed and pairs every command', async () => {
    const { scope } = stack();
    await scope.waitForLog(() => scope.logs.filter((l) => l.msg === 'session close').length >= 4);
    await new Promise((r) => setTimeout(r, 300));
    const sessions = scope.logs.filter((l) => l.msg === 'session close').map((l) => l.session);
    expect(scope.logs.filter((l) => l.msg === 'malformed')).toEqual([]);
    for (const session of sessions) {
      const lines = scope.logs.filter((l) => l.session === session);
      const exchanges = lines.filter((l) => l.msg === 'exchange');
      expect(exchanges.length).toBeGreaterThan(0);
      for (const e of exchanges) expect(e.status).not.toBe('aborted');
      const states = lines.filter((l) => l.msg === 'state change').map((l) => l.to);
      expect(states[0]).toBe('authenticated');
    }
    // The upload went through APPEND with its literal, and the UID fetch through UID FETCH.
    const commands = scope.logs.filter((l) => l.msg === 'exchange').map((l) => l.command);
    expect(commands).toEqual(expect.arrayContaining(['APPEND', 'UID FETCH', 'UID SEARCH']));
  });
});
