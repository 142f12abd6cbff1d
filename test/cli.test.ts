import { spawnSync } from 'node:child_process';
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
    const flags = ['--listen', '--upstream', '--ui', '--token', '--data', '--log-level'];
    flags.push('--max-connections', '--idle-timeout', '--drain-seconds');
    for (const flag of flags) expect(r.stdout).toContain(flag);
    // Help is wrapped to the terminal's width: compare with the wrapping undone.
    const text = r.stdout.replace(/\s+/g, ' ');
    expect(text).toContain('IMAPSCOPE_LISTEN');
    expect(text).toContain('(default: 127.0.0.1:1143)');
    expect(text).toContain('(default: 1000) [env IMAPSCOPE_MAX_CONNECTIONS]');
    expect(text).toContain('(default: 1860) [env IMAPSCOPE_IDLE_TIMEOUT]');
    expect(text).toContain('(default: 5) [env IMAPSCOPE_DRAIN_SECONDS]');
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
});
