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
