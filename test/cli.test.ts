import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../proxy/imapscope.mjs', import.meta.url));

function run(
  args: string[],
  env: Record<string, string> = {},
): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('the imapscope command', () => {
  it('prints help listing every flag with its environment variable, and exits 0', () => {
    const r = run(['--help']);
    expect(r.code).toBe(0);
    const flags = ['--listen', '--upstream', '--ui', '--token', '--data', '--log-level'];
    flags.push('--max-connections', '--idle-timeout', '--drain-seconds', '--inspection');
    for (const flag of flags) expect(r.stdout).toContain(flag);
    // Help is wrapped to the terminal's width: compare with the wrapping undone.
    const text = r.stdout.replace(/\s+/g, ' ');
    expect(text).toContain('IMAPSCOPE_LISTEN');
    expect(text).toContain('(default: 127.0.0.1:1143)');
    expect(text).toContain('(default: 1000) [env IMAPSCOPE_MAX_CONNECTIONS]');
    expect(text).toContain('(default: 1860) [env IMAPSCOPE_IDLE_TIMEOUT]');
    expect(text).toContain('(default: 5) [env IMAPSCOPE_DRAIN_SECONDS]');
    for (const [flag, env] of [
      ['--ui-cert <FILE>', 'IMAPSCOPE_UI_CERT'],
      ['--ui-key <FILE>', 'IMAPSCOPE_UI_KEY'],
      ['--ui-host <NAME,...>', 'IMAPSCOPE_UI_HOST'],
      ['--ui-insecure', 'IMAPSCOPE_UI_INSECURE'],
    ]) {
      expect(text).toContain(flag);
      expect(text).toContain(env);
    }
  });

  it('refuses an unknown flag with one line naming it and exit code 2', () => {
    const r = run(['--listne', '127.0.0.1:1143']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain("'--listne'");
  });

  it('refuses a bad value with one line naming the flag and exit code 2', () => {
    const r = run(['--listen', 'localhost']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("imapscope: --listen: expected HOST:PORT, got 'localhost'\n");
  });

  it('refuses an unknown --inspection mode with one line and exit code 2', () => {
    const r = run(['--inspection', 'fast']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "imapscope: --inspection: unknown mode 'fast' (use lossless or best-effort)\n",
    );
  });

  it('names the environment variable when the bad value came from there', () => {
    const r = run([], { IMAPSCOPE_UI: '127.0.0.1:99999' });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("imapscope: IMAPSCOPE_UI: port out of range in '127.0.0.1:99999'\n");
  });

  it('refuses a flag given without its value', () => {
    const r = run(['--upstream']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--upstream');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('refuses a non-loopback --ui without HTTPS in one line naming the flag, exit code 2', () => {
    const r = run(['--ui', '0.0.0.0:0']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(
      /^imapscope: --ui: 0\.0\.0\.0 is not a loopback address: .*--ui-insecure/,
    );
  });

  it('names --ui-cert when the certificate file cannot be read, exit code 2', () => {
    const r = run([
      '--ui-cert',
      '/nonexistent/cert.pem',
      '--ui-key',
      '/nonexistent/key.pem',
      '--data',
      join(tmpdir(), 'imapscope-cli-test-never-created'),
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('imapscope: --ui-cert: cannot read /nonexistent/cert.pem: ENOENT\n');
    // Checked before anything is written: the data directory was not even created.
    expect(existsSync(join(tmpdir(), 'imapscope-cli-test-never-created'))).toBe(false);
  });

  it('names --cert when it cannot be read, exit code 2, after closing the archive the inspection thread opened meanwhile', () => {
    const data = mkdtempSync(join(tmpdir(), 'imapscope-cli-cert-'));
    try {
      const r = run([
        '--client-tls',
        'implicit',
        '--cert',
        '/nonexistent/cert.pem',
        '--key',
        '/nonexistent/key.pem',
        '--listen',
        '127.0.0.1:0',
        '--ui',
        '127.0.0.1:0',
        '--data',
        data,
      ]);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe('imapscope: --cert: cannot read /nonexistent/cert.pem: ENOENT\n');
      // The inspection thread starts beside the TLS set-up; it was stopped, not killed by the
      // exit: its archive was closed cleanly (SQLite removes the WAL), so no recovery is due.
      expect(existsSync(join(data, 'archive.sqlite'))).toBe(true);
      expect(existsSync(join(data, 'archive.sqlite-wal'))).toBe(false);
    } finally {
      rmSync(data, { recursive: true, force: true });
    }
  });

  it('names --ui when its port is taken, exit code 2', async () => {
    const taken = net.createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const { port } = taken.address() as net.AddressInfo;
    const data = mkdtempSync(join(tmpdir(), 'imapscope-cli-ui-'));
    try {
      const r = run(['--ui', `127.0.0.1:${port}`, '--listen', '127.0.0.1:0', '--data', data]);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`imapscope: --ui 127.0.0.1:${port}: EADDRINUSE\n`);
    } finally {
      taken.close();
      rmSync(data, { recursive: true, force: true });
    }
  });
});

describe('the imapscope subcommands', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'imapscope-cli-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const transcript = (name: string, exchanges: number): string => {
    const file = path.join(tmp, name);
    let text = '2025-06-01T12:00:00.000Z S: * OK ready\n';
    for (let i = 1; i <= exchanges; i++) text += `C: a${i} NOOP\nS: a${i} OK done ${i}\n`;
    writeFileSync(file, text);
    return file;
  };

  it('import creates a --data dir that does not exist yet, as the main command does', () => {
    const data = path.join(tmp, 'new', 'nested');
    const r = run(['import', transcript('small.txt', 2), '--data', data]);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/^\w+\ttranscript\t\d+ events\n$/);
    expect(statSync(data).mode & 0o777).toBe(0o700);
  });

  it('refuses a second import of the same file with one line naming the earlier session', () => {
    const data = path.join(tmp, 'twice');
    const file = transcript('twice.txt', 2);
    const [id] = run(['import', file, '--data', data]).stdout.split('\t');
    const again = run(['import', file, '--data', data]);
    expect(again.code).toBe(2);
    expect(again.stderr).toBe(
      `imapscope: ${file} was already imported as session ${id} (from twice.txt)\n`,
    );
  });

  it('names a --data that cannot be a directory in one line, exit code 2', () => {
    const file = path.join(tmp, 'plain-file');
    writeFileSync(file, 'x');
    for (const cmd of [['ca'], ['import', transcript('x.txt', 1)], ['export', 'abc']]) {
      const r = run([...cmd, '--data', path.join(file, 'data')]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(
        /^imapscope: --data: cannot use '.*' as the data directory \(ENOTDIR\)\n$/,
      );
    }
  });

  it('says which command a mistyped one may be, exit code 2', () => {
    const r = run(['expot', 'x']);
    expect({ code: r.code, stderr: r.stderr }).toEqual({
      code: 2,
      stderr: "imapscope: unknown command 'expot' (did you mean 'export'?)\n",
    });
    expect(run(['frobnicate']).stderr).toBe(
      "imapscope: unknown command 'frobnicate' (commands: ca, export, import, backfill, audit, stats, grep)\n",
    );
  });

  it('reports an unexpected failure in one line with a hint, and the stack only with --log-level debug', () => {
    const data = path.join(tmp, 'corrupt');
    run(['import', transcript('c.txt', 1), '--data', data]);
    writeFileSync(
      path.join(data, 'archive.sqlite'),
      'this is not a database, just text '.repeat(200),
    );
    const r = run(['export', 'abc', '--data', data]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([
      'imapscope: unexpected error: file is not a database (run again with --log-level debug for details)',
    ]);
    const debug = run(['export', 'abc', '--data', data, '--log-level', 'debug']);
    expect(debug.stderr).toMatch(/SqliteError: file is not a database\n\s+at /);
  });

  it('exports a big session to a file without piling up listeners (no MaxListenersExceededWarning)', () => {
    const data = path.join(tmp, 'big');
    mkdirSync(data);
    const [id] = run(['import', transcript('big.txt', 3000), '--data', data]).stdout.split('\t');
    const out = path.join(tmp, 'big.jsonl');
    const r = run(['export', id!, '-o', out, '--data', data]);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    // Far more than 10 pauses: a file stream asks to wait every 16 KiB.
    expect(statSync(out).size).toBeGreaterThan(40 * 16 * 1024);
  });
});
