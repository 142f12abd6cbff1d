import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseHostPort, prepareDataDir, resolveConfig } from '../proxy/config.ts';
import { ConfigError } from '../proxy/errors.ts';

describe('parseHostPort', () => {
  it('reads HOST:PORT, [v6]:PORT and :PORT', () => {
    expect(parseHostPort('--x', 'mail.example.com:993')).toEqual({
      host: 'mail.example.com',
      port: 993,
    });
    expect(parseHostPort('--x', '[::1]:1143')).toEqual({ host: '::1', port: 1143 });
    expect(parseHostPort('--x', ':1143')).toEqual({ host: '127.0.0.1', port: 1143 });
  });

  it('accepts port 65535 and refuses 65536', () => {
    expect(parseHostPort('--x', 'h:65535').port).toBe(65535);
    expect(() => parseHostPort('--x', 'h:65536')).toThrow(ConfigError);
  });

  it('accepts port 0 for listening but not for an upstream', () => {
    expect(parseHostPort('--listen', 'h:0').port).toBe(0);
    expect(() => parseHostPort('--upstream', 'h:0', false)).toThrow(
      /--upstream: port out of range/,
    );
  });

  it('names the flag when the text is not HOST:PORT', () => {
    expect(() => parseHostPort('--listen', 'nonsense')).toThrow(
      "--listen: expected HOST:PORT, got 'nonsense'",
    );
  });
});

describe('resolveConfig', () => {
  it('uses the documented defaults when nothing is given', () => {
    const c = resolveConfig({}, {});
    expect(c.listen).toEqual({ host: '127.0.0.1', port: 1143 });
    expect(c.ui).toEqual({ host: '127.0.0.1', port: 8025 });
    expect(c.upstream).toBeNull();
    expect(c.logLevel).toBe('info');
    expect(c.dataDir).toMatch(/\.imapscope$/);
  });

  it('takes environment variables, and flags over them', () => {
    const env = { IMAPSCOPE_LISTEN: '127.0.0.1:2143', IMAPSCOPE_UPSTREAM: 'imap.example.org:143' };
    expect(resolveConfig({}, env).listen.port).toBe(2143);
    expect(resolveConfig({ listen: ':3143' }, env).listen.port).toBe(3143);
    expect(resolveConfig({}, env).upstream).toEqual({ host: 'imap.example.org', port: 143 });
  });

  it('names the environment variable when its value is bad', () => {
    expect(() => resolveConfig({}, { IMAPSCOPE_LOG_LEVEL: 'loud' })).toThrow(
      /^IMAPSCOPE_LOG_LEVEL: unknown level 'loud'/,
    );
  });

  it('inspects losslessly by default and takes --inspection or IMAPSCOPE_INSPECTION', () => {
    expect(resolveConfig({}, {}).inspection).toBe('lossless');
    expect(resolveConfig({ inspection: 'best-effort' }, {}).inspection).toBe('best-effort');
    expect(resolveConfig({}, { IMAPSCOPE_INSPECTION: 'best-effort' }).inspection).toBe(
      'best-effort',
    );
    expect(() => resolveConfig({ inspection: 'drop' }, {})).toThrow(
      "--inspection: unknown mode 'drop' (use lossless or best-effort)",
    );
  });

  it('hashes literal bodies only with --literal-hashes or IMAPSCOPE_LITERAL_HASHES', () => {
    expect(resolveConfig({}, {}).literalHashes).toBe(false);
    expect(resolveConfig({ literalHashes: true }, {}).literalHashes).toBe(true);
    expect(resolveConfig({}, { IMAPSCOPE_LITERAL_HASHES: '1' }).literalHashes).toBe(true);
  });

  it('defaults the lifecycle limits to 1000 connections, a 31-minute idle timeout and a 5 s drain', () => {
    const c = resolveConfig({}, {});
    expect([c.maxConnections, c.idleTimeoutS, c.drainS]).toEqual([1000, 1860, 5]);
    const env = { IMAPSCOPE_DRAIN_SECONDS: '9', IMAPSCOPE_IDLE_TIMEOUT: '0' };
    const e = resolveConfig({ maxConnections: '2' }, env);
    expect([e.maxConnections, e.idleTimeoutS, e.drainS]).toEqual([2, 0, 9]);
  });

  it('takes --max-connections 1 and refuses 0 or a non-number, naming the flag', () => {
    expect(resolveConfig({ maxConnections: '1' }, {}).maxConnections).toBe(1);
    expect(() => resolveConfig({ maxConnections: '0' }, {})).toThrow(
      "--max-connections: expected at least 1, got '0'",
    );
    expect(() => resolveConfig({ idleTimeout: '30m' }, {})).toThrow(
      "--idle-timeout: expected a whole number, got '30m'",
    );
  });

  it('refuses a token shorter than 8 characters and accepts one of 8', () => {
    expect(() => resolveConfig({ token: 'short77' }, {})).toThrow(/--token/);
    expect(resolveConfig({ token: 'exactly8' }, {}).token).toBe('exactly8');
  });
});

describe('prepareDataDir', () => {
  it('creates the directory with its parents, mode 0700, and accepts one that exists', () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'imapscope-data-'));
    try {
      const dir = path.join(tmp, 'a', 'b');
      prepareDataDir(dir);
      prepareDataDir(dir);
      expect(statSync(dir).mode & 0o777).toBe(0o700);
      writeFileSync(path.join(tmp, 'file'), '');
      expect(() => prepareDataDir(path.join(tmp, 'file', 'data'))).toThrow(ConfigError);
      expect(() => prepareDataDir(path.join(tmp, 'file', 'data'))).toThrow(
        `--data: cannot use '${path.join(tmp, 'file', 'data')}' as the data directory (ENOTDIR)`,
      );
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe('resolveConfig: the UI off loopback', () => {
  it('refuses a non-loopback --ui without HTTPS or --ui-insecure, naming the flag', () => {
    expect(() => resolveConfig({ ui: '0.0.0.0:8025' }, {})).toThrow(
      /^--ui: 0\.0\.0\.0 is not a loopback address: .*--ui-cert and --ui-key.*--ui-insecure/,
    );
    expect(() => resolveConfig({}, { IMAPSCOPE_UI: '[::]:8025' })).toThrow(/^IMAPSCOPE_UI: /);
  });

  it('accepts it with --ui-cert and --ui-key, or with --ui-insecure (flag or environment)', () => {
    const https = resolveConfig({ ui: '0.0.0.0:8025', uiCert: 'c.pem', uiKey: 'k.pem' }, {});
    expect(https).toMatchObject({ uiInsecure: false, uiCert: expect.stringMatching(/c\.pem$/) });
    expect(resolveConfig({ ui: '0.0.0.0:8025', uiInsecure: true }, {}).uiInsecure).toBe(true);
    const env = { IMAPSCOPE_UI: '192.0.2.7:8025', IMAPSCOPE_UI_INSECURE: 'yes' };
    expect(resolveConfig({}, env).uiInsecure).toBe(true);
  });

  it('counts 127.0.0.0/8, ::1 and localhost as loopback', () => {
    for (const ui of ['127.0.0.1:1', '127.8.9.10:1', '[::1]:1', 'localhost:1']) {
      expect(resolveConfig({ ui }, {}).uiInsecure).toBe(false);
    }
  });

  it('needs --ui-cert and --ui-key together', () => {
    expect(() => resolveConfig({ uiCert: 'c.pem' }, {})).toThrow(/^--ui-cert: needs both/);
    expect(() => resolveConfig({}, { IMAPSCOPE_UI_KEY: 'k.pem' })).toThrow(
      /^IMAPSCOPE_UI_KEY: needs both/,
    );
  });

  it('reads --ui-host as a list of names, IPv6 in brackets, and refuses anything else', () => {
    expect(resolveConfig({ uiHost: 'Scope.Example, 192.0.2.7,::1,[fe80::2]' }, {}).uiHosts).toEqual(
      ['scope.example', '192.0.2.7', '[::1]', '[fe80::2]'],
    );
    expect(resolveConfig({}, {}).uiHosts).toEqual([]);
    expect(() => resolveConfig({ uiHost: 'scope.example:8025' }, {})).toThrow(/^--ui-host: /);
    expect(() => resolveConfig({}, { IMAPSCOPE_UI_HOST: 'a b' })).toThrow(/^IMAPSCOPE_UI_HOST: /);
  });
});
