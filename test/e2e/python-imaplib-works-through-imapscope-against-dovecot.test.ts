import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { useScopeOverDovecot } from '../helpers/scope-over-dovecot.ts';
import { useTempDir } from '../helpers/temp-dir.ts';
import { sha256 } from '../helpers/mail.ts';

const execFileAsync = promisify(execFile);
const CLIENT = fileURLToPath(new URL('../helpers/imaplib-client.py', import.meta.url));

// Debug level: one line per decoded message, so Malformed ones would show.
const stack = useScopeOverDovecot({ args: ['--log-level', 'debug'] });
const tmp = useTempDir('imapscope-imaplib-');

describe("Python 3's imaplib through imapscope against Dovecot", () => {
  it('logs in, selects, appends, fetches the same bytes back and logs out', async () => {
    const { scope, dovecot } = stack();
    const messages = [
      'From: a@example.test\r\nSubject: one\r\n\r\nFirst message.\r\n',
      'From: b@example.test\r\nSubject: two\r\n\r\nSecond message,\r\nwith two lines.\r\n',
    ];
    const files: string[] = [];
    for (const [i, text] of messages.entries()) {
      const file = path.join(tmp(), `m${i}.eml`);
      await writeFile(file, text);
      files.push(file);
    }
    const { stdout } = await execFileAsync('python3', [
      CLIENT,
      scope.listen.host,
      String(scope.listen.port),
      dovecot.user,
      dovecot.password,
      ...files,
    ]);
    const out = JSON.parse(stdout) as {
      greeting: string;
      login: string;
      select: [string, number];
      appended: { uid: number; bytes: number; sha256: string }[];
      fetched: { uid: number; bytes: number; sha256: string; head: string }[];
      logout: string;
    };
    expect(out.greeting).toMatch(/^\* OK .*Dovecot/);
    expect(out.login).toBe('OK');
    expect(out.select).toEqual(['OK', 0]);
    expect(out.appended.map((a) => a.uid)).toEqual([1, 2]);
    expect(out.fetched).toEqual(
      messages.map((text, i) => ({
        uid: i + 1,
        bytes: Buffer.byteLength(text),
        sha256: sha256(text),
        head: text,
      })),
    );
    expect(out.logout).toBe('BYE');
    const close = await scope.waitForLog((l) => l.msg === 'session close');
    expect(close.bytesC2s).toBeGreaterThan(0);
    expect(close.bytesS2c).toBeGreaterThan(0);

    // The session decoded cleanly, paired every command and followed the states.
    await scope.waitForLog(
      (l) => l.session === close.session && l.msg === 'exchange' && l.command === 'LOGOUT',
    );
    const lines = scope.logs.filter((l) => l.session === close.session);
    expect(lines.filter((l) => l.msg === 'malformed')).toEqual([]);
    const exchanges = lines.filter((l) => l.msg === 'exchange');
    const commands = exchanges.map((l) => l.command);
    expect(commands, commands.join(' ')).toEqual([
      'CAPABILITY',
      'LOGIN',
      'SELECT',
      'APPEND',
      'APPEND',
      'UID FETCH',
      'UID FETCH',
      'LOGOUT',
    ]);
    for (const e of exchanges) expect(e.status).toBe('OK');
    const states = lines.filter((l) => l.msg === 'state change').map((l) => l.to);
    expect(states).toEqual(['authenticated', 'selected', 'logout']);
  });
});
