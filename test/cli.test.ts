import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../proxy/imapscope.mjs', import.meta.url));

function run(
  args: string[],
  env: Record<string, string> = {},
): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 20_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('the imapscope command', () => {
  it('prints help listing every flag with its environment variable, and exits 0', () => {
    const r = run(['--help']);
    expect(r.code).toBe(0);
    for (const flag of ['--listen', '--upstream', '--ui', '--token', '--data', '--log-level']) {
      expect(r.stdout).toContain(flag);
    }
    for (const [flag, env] of [
      ['--ui-cert <FILE>', 'IMAPSCOPE_UI_CERT'],
      ['--ui-key <FILE>', 'IMAPSCOPE_UI_KEY'],
      ['--ui-host <NAME,...>', 'IMAPSCOPE_UI_HOST'],
      ['--ui-insecure', 'IMAPSCOPE_UI_INSECURE'],
    ]) {
      expect(r.stdout).toContain(flag);
      expect(r.stdout).toContain(env);
    }
    expect(r.stdout).toContain('IMAPSCOPE_LISTEN');
    expect(r.stdout).toContain('(default: 127.0.0.1:1143)');
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
});
