import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../proxy/config.ts';

const BIN = fileURLToPath(new URL('../proxy/imapscope.mjs', import.meta.url));

function run(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('--proxy-protocol and --proxy-trusted', () => {
  it('are off by default', () => {
    const c = resolveConfig({}, {});
    expect(c.proxyTrusted).toBeNull();
    expect(c.upstreamProxyProtocol).toBe(false);
    expect(c.metricsPublic).toBe(false);
  });

  it('read the trusted networks from the flag or the environment', () => {
    expect(
      resolveConfig({ proxyProtocol: true, proxyTrusted: '10.0.0.0/8, ::1' }, {}).proxyTrusted,
    ).toEqual([
      { address: '10.0.0.0', prefix: 8, family: 4 },
      { address: '::1', prefix: 128, family: 6 },
    ]);
    const env = { IMAPSCOPE_PROXY_PROTOCOL: '1', IMAPSCOPE_PROXY_TRUSTED: '192.168.1.0/24' };
    expect(resolveConfig({}, env).proxyTrusted).toEqual([
      { address: '192.168.1.0', prefix: 24, family: 4 },
    ]);
    expect(
      resolveConfig({ upstreamProxyProtocol: true, upstream: '10.0.0.9:143' }, {})
        .upstreamProxyProtocol,
    ).toBe(true);
  });

  it('--proxy-protocol without --proxy-trusted: one line naming the flag, exit code 2', () => {
    const r = run(['--proxy-protocol']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^imapscope: --proxy-trusted: is required with --proxy-protocol/);
  });

  it('a bad CIDR: one line naming the flag (or its variable), exit code 2', () => {
    const r = run(['--proxy-protocol', '--proxy-trusted', '10.0.0.0/8,10.0.0.0/33']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "imapscope: --proxy-trusted: '10.0.0.0/33' is not an address or CIDR (like 10.0.0.0/8 or fd00::/8)\n",
    );
    const e = run(['--proxy-protocol'], { IMAPSCOPE_PROXY_TRUSTED: 'lb.example' });
    expect(e.code).toBe(2);
    expect(e.stderr).toMatch(/^imapscope: IMAPSCOPE_PROXY_TRUSTED: 'lb.example' is not/);
  });

  it('--upstream-proxy-protocol without --upstream (the practice server) is refused', () => {
    const r = run(['--upstream-proxy-protocol']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'imapscope: --upstream-proxy-protocol: needs --upstream: the built-in practice server does not read PROXY headers\n',
    );
  });

  it('--proxy-trusted without --proxy-protocol is refused as a forgotten switch', () => {
    expect(() => resolveConfig({ proxyTrusted: '10.0.0.0/8' }, {})).toThrow(
      /^--proxy-trusted: only means something with --proxy-protocol/,
    );
  });

  it('all appear in --help with their environment variables', () => {
    const text = run(['--help']).stdout.replace(/\s+/g, ' ');
    for (const [flag, env] of [
      ['--proxy-protocol', 'IMAPSCOPE_PROXY_PROTOCOL'],
      ['--proxy-trusted <CIDR,...>', 'IMAPSCOPE_PROXY_TRUSTED'],
      ['--upstream-proxy-protocol', 'IMAPSCOPE_UPSTREAM_PROXY_PROTOCOL'],
      ['--metrics-public', 'IMAPSCOPE_METRICS_PUBLIC'],
    ]) {
      expect(text).toContain(flag);
      expect(text).toContain(env);
    }
  });
});

describe('--metrics-public', () => {
  it('is allowed with the UI on loopback', () => {
    expect(resolveConfig({ metricsPublic: true }, {}).metricsPublic).toBe(true);
  });

  it('with the UI off loopback: one line naming the flag, exit code 2', () => {
    const r = run(['--metrics-public', '--ui', '0.0.0.0:8025', '--ui-insecure']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'imapscope: --metrics-public: the UI listens on 0.0.0.0, not loopback: /metrics keeps its token there\n',
    );
  });
});
