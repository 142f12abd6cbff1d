import { homedir } from 'node:os';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { ConfigError } from './errors.ts';
import { LOG_LEVELS } from './log.ts';

export interface HostPort {
  host: string;
  port: number;
}

export interface Config {
  listen: HostPort;
  /** null: the built-in practice server. */
  upstream: HostPort | null;
  ui: HostPort;
  /** null: read from (or create in) the data directory. */
  token: string | null;
  dataDir: string;
  logLevel: string;
}

/** What the command line parser hands over: raw strings, flags not given are undefined. */
export interface RawOptions {
  listen?: string;
  upstream?: string;
  ui?: string;
  token?: string;
  data?: string;
  logLevel?: string;
}

/** Each flag, its environment variable and its default; the help text is built from this table. */
export const OPTION_TABLE = [
  {
    key: 'listen',
    flag: '--listen',
    env: 'IMAPSCOPE_LISTEN',
    value: 'HOST:PORT',
    def: '127.0.0.1:1143',
    help: 'where mail clients connect',
  },
  {
    key: 'upstream',
    flag: '--upstream',
    env: 'IMAPSCOPE_UPSTREAM',
    value: 'HOST:PORT',
    def: undefined,
    help: 'the real IMAP server (default: the built-in practice server)',
  },
  {
    key: 'ui',
    flag: '--ui',
    env: 'IMAPSCOPE_UI',
    value: 'HOST:PORT',
    def: '127.0.0.1:8025',
    help: 'where the viewer and its API listen',
  },
  {
    key: 'token',
    flag: '--token',
    env: 'IMAPSCOPE_TOKEN',
    value: 'TOKEN',
    def: undefined,
    help: 'token the viewer and API require (default: generated, kept in the data dir)',
  },
  {
    key: 'data',
    flag: '--data',
    env: 'IMAPSCOPE_DATA',
    value: 'DIR',
    def: join(homedir(), '.imapscope'),
    help: 'data directory (archive, token, certificates)',
  },
  {
    key: 'logLevel',
    flag: '--log-level',
    env: 'IMAPSCOPE_LOG_LEVEL',
    value: 'LEVEL',
    def: 'info',
    help: `one of ${LOG_LEVELS.join(', ')}`,
  },
] as const satisfies readonly {
  key: keyof RawOptions;
  flag: string;
  env: string;
  value: string;
  def: string | undefined;
  help: string;
}[];

/**
 * Parses `HOST:PORT`, `[v6]:PORT` or `:PORT` (host defaults to 127.0.0.1).
 * Port 0 is accepted where `allowZero` (the OS picks a free port); 65535 is the largest.
 * Throws ConfigError naming `flag` on anything else.
 */
export function parseHostPort(flag: string, text: string, allowZero = true): HostPort {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]*)):(\d{1,5})$/.exec(text.trim());
  if (!m) throw new ConfigError(flag, `expected HOST:PORT, got '${text}'`);
  const host = m[1] ?? (m[2] || '127.0.0.1');
  const port = Number(m[3]);
  if (port > 65535 || (!allowZero && port === 0)) {
    throw new ConfigError(flag, `port out of range in '${text}'`);
  }
  if (m[1] !== undefined && isIP(host) !== 6)
    throw new ConfigError(flag, `bad IPv6 address in '${text}'`);
  return { host, port };
}

export function formatHostPort({ host, port }: HostPort): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Flags win over environment variables, which win over defaults. */
export function resolveConfig(raw: RawOptions, env: NodeJS.ProcessEnv = process.env): Config {
  const pick = (key: keyof RawOptions): { value: string | undefined; source: string } => {
    const row = OPTION_TABLE.find((r) => r.key === key)!;
    if (raw[key] !== undefined) return { value: raw[key], source: row.flag };
    const fromEnv = env[row.env];
    if (fromEnv !== undefined && fromEnv !== '') return { value: fromEnv, source: row.env };
    return { value: row.def, source: row.flag };
  };
  const listen = pick('listen');
  const upstream = pick('upstream');
  const ui = pick('ui');
  const token = pick('token');
  const data = pick('data');
  const level = pick('logLevel');

  if (level.value !== undefined && !(LOG_LEVELS as readonly string[]).includes(level.value)) {
    throw new ConfigError(
      level.source,
      `unknown level '${level.value}' (use ${LOG_LEVELS.join(', ')})`,
    );
  }
  if (token.value !== undefined && !/^[\x21-\x7e]{8,}$/.test(token.value)) {
    throw new ConfigError(token.source, 'must be at least 8 printable characters without spaces');
  }
  return {
    listen: parseHostPort(listen.source, listen.value!),
    upstream:
      upstream.value === undefined ? null : parseHostPort(upstream.source, upstream.value, false),
    ui: parseHostPort(ui.source, ui.value!),
    token: token.value ?? null,
    dataDir: resolve(data.value!),
    logLevel: level.value!,
  };
}
