import { describe, expect, it } from 'vitest';
import { parseHostPort, resolveConfig } from '../proxy/config.ts';
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

  it('refuses a token shorter than 8 characters and accepts one of 8', () => {
    expect(() => resolveConfig({ token: 'short77' }, {})).toThrow(/--token/);
    expect(resolveConfig({ token: 'exactly8' }, {}).token).toBe('exactly8');
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
