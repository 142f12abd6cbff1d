import { homedir } from 'node:os';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { ConfigError } from './errors.ts';
import { LOG_LEVELS } from './log.ts';
import { TLS_MODES } from './net/tls-modes.ts';
import type { TlsMode } from './net/tls-modes.ts';

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
  /** Leave passwords and SASL data readable in events and logs (masked by default). */
  revealSecrets: boolean;
  /** TLS between mail clients and imapscope. */
  clientTls: TlsMode;
  /** TLS between imapscope and the upstream (default: implicit for port 993, else none). */
  upstreamTls: TlsMode;
  /** The client leg's certificate and key (PEM files); null: leaves from imapscope's CA. */
  cert: string | null;
  key: string | null;
  /** Trust only the CAs in this PEM file for the upstream; null: the system trust store. */
  upstreamCa: string | null;
  /** Skip the upstream's certificate verification (warned about). */
  upstreamInsecure: boolean;
  /** Ended sessions older than this many days leave the archive; 0 keeps them. */
  retainDays: number;
  /** Archive size cap in MiB (oldest ended sessions go first); 0 turns the archive off. */
  maxArchiveMb: number;
  /** HTTPS for the viewer, API and WebSocket (PEM files); null: plain HTTP (loopback only). */
  uiCert: string | null;
  uiKey: string | null;
  /** Serve a non-loopback --ui over plain HTTP anyway (warned about). */
  uiInsecure: boolean;
  /** More names the UI answers to in Host, besides the loopback names and the --ui host. */
  uiHosts: string[];
}

/** What the command line parser hands over: raw strings, flags not given are undefined. */
export interface RawOptions {
  listen?: string;
  upstream?: string;
  ui?: string;
  token?: string;
  data?: string;
  logLevel?: string;
  clientTls?: string;
  upstreamTls?: string;
  cert?: string;
  key?: string;
  upstreamCa?: string;
  retainDays?: string;
  maxArchiveMb?: string;
  uiCert?: string;
  uiKey?: string;
  uiHost?: string;
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
    help: 'where the viewer and its API listen (not loopback: needs --ui-cert/--ui-key or --ui-insecure)',
  },
  {
    key: 'uiCert',
    flag: '--ui-cert',
    env: 'IMAPSCOPE_UI_CERT',
    value: 'FILE',
    def: undefined,
    help: 'PEM certificate (chain) to serve the viewer, API and WebSocket over HTTPS, with --ui-key',
  },
  {
    key: 'uiKey',
    flag: '--ui-key',
    env: 'IMAPSCOPE_UI_KEY',
    value: 'FILE',
    def: undefined,
    help: 'PEM private key for --ui-cert',
  },
  {
    key: 'uiHost',
    flag: '--ui-host',
    env: 'IMAPSCOPE_UI_HOST',
    value: 'NAME,...',
    def: undefined,
    help: 'more names the UI answers to in the Host header (always: localhost, 127.0.0.1, [::1], the --ui host)',
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
  {
    key: 'clientTls',
    flag: '--client-tls',
    env: 'IMAPSCOPE_CLIENT_TLS',
    value: 'MODE',
    def: 'none',
    help: "TLS with mail clients: none, implicit or starttls (certificates from imapscope's CA)",
  },
  {
    key: 'upstreamTls',
    flag: '--upstream-tls',
    env: 'IMAPSCOPE_UPSTREAM_TLS',
    value: 'MODE',
    def: undefined,
    help: 'TLS with the upstream: none, implicit or starttls (default: implicit for port 993, else none)',
  },
  {
    key: 'cert',
    flag: '--cert',
    env: 'IMAPSCOPE_CERT',
    value: 'FILE',
    def: undefined,
    help: "PEM certificate (chain) for the client leg, with --key (default: issued by imapscope's CA)",
  },
  {
    key: 'key',
    flag: '--key',
    env: 'IMAPSCOPE_KEY',
    value: 'FILE',
    def: undefined,
    help: 'PEM private key for --cert',
  },
  {
    key: 'upstreamCa',
    flag: '--upstream-ca',
    env: 'IMAPSCOPE_UPSTREAM_CA',
    value: 'FILE',
    def: undefined,
    help: 'trust only the CA certificates in this PEM file for the upstream (default: the system store)',
  },
  {
    key: 'retainDays',
    flag: '--retain-days',
    env: 'IMAPSCOPE_RETAIN_DAYS',
    value: 'DAYS',
    def: '30',
    help: 'delete archived sessions that ended more than DAYS ago (0: keep forever)',
  },
  {
    key: 'maxArchiveMb',
    flag: '--max-archive-mb',
    env: 'IMAPSCOPE_MAX_ARCHIVE_MB',
    value: 'MB',
    def: '1024',
    help: 'archive size cap; the oldest ended sessions are deleted past it (0: no archive)',
  },
] as const satisfies readonly {
  key: keyof RawOptions;
  flag: string;
  env: string;
  value: string;
  def: string | undefined;
  help: string;
}[];

/** Boolean switches given without a value; their environment variables take 1/true/yes or 0/false/no. */
export interface RawSwitches {
  revealSecrets?: boolean;
  upstreamInsecure?: boolean;
  uiInsecure?: boolean;
}

/** Each switch and its environment variable; the help text is built from this table too. */
export const SWITCH_TABLE = [
  {
    key: 'revealSecrets',
    flag: '--reveal-secrets',
    env: 'IMAPSCOPE_REVEAL_SECRETS',
    help: 'show LOGIN passwords and SASL data in events and logs instead of masking them',
  },
  {
    key: 'upstreamInsecure',
    flag: '--upstream-insecure',
    env: 'IMAPSCOPE_UPSTREAM_INSECURE',
    help: "do not verify the upstream's certificate (warned about in the log and the ready line)",
  },
  {
    key: 'uiInsecure',
    flag: '--ui-insecure',
    env: 'IMAPSCOPE_UI_INSECURE',
    help: 'serve a non-loopback --ui over plain HTTP (warned about in the log and the ready line)',
  },
] as const satisfies readonly { key: keyof RawSwitches; flag: string; env: string; help: string }[];

function resolveSwitch(key: keyof RawSwitches, raw: RawSwitches, env: NodeJS.ProcessEnv): boolean {
  const row = SWITCH_TABLE.find((r) => r.key === key)!;
  if (raw[key] !== undefined) return raw[key] === true;
  const value = (env[row.env] ?? '').trim().toLowerCase();
  if (value === '' || value === '0' || value === 'false' || value === 'no') return false;
  if (value === '1' || value === 'true' || value === 'yes') return true;
  throw new ConfigError(row.env, `expected 1/true/yes or 0/false/no, got '${env[row.env]}'`);
}

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
export function resolveConfig(
  raw: RawOptions & RawSwitches,
  env: NodeJS.ProcessEnv = process.env,
): Config {
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
    revealSecrets: resolveSwitch('revealSecrets', raw, env),
    retainDays: count(pick('retainDays')),
    maxArchiveMb: count(pick('maxArchiveMb')),
    ...resolveTls(raw, env, pick),
    ...resolveUiExposure(parseHostPort(ui.source, ui.value!), ui.source, raw, env, pick),
  };
}

/** Whether `host` only reaches this machine: 127.0.0.0/8, ::1 (also v4-mapped) or localhost. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^::ffff:/, '');
  return h === 'localhost' || h === '::1' || (isIP(h) === 4 && h.startsWith('127.'));
}

/**
 * The UI's exposure: a --ui off loopback needs HTTPS (--ui-cert and --ui-key) or an explicit
 * --ui-insecure; --ui-host names are host names or IP addresses (IPv6 kept in brackets, as a
 * Host header writes it), without a port.
 */
function resolveUiExposure(
  ui: HostPort,
  uiSource: string,
  raw: RawSwitches,
  env: NodeJS.ProcessEnv,
  pick: (key: keyof RawOptions) => { value: string | undefined; source: string },
): Pick<Config, 'uiCert' | 'uiKey' | 'uiInsecure' | 'uiHosts'> {
  const cert = pick('uiCert');
  const key = pick('uiKey');
  if ((cert.value === undefined) !== (key.value === undefined)) {
    throw new ConfigError(
      cert.value === undefined ? key.source : cert.source,
      'needs both --ui-cert and --ui-key',
    );
  }
  const uiInsecure = resolveSwitch('uiInsecure', raw, env);
  if (!isLoopbackHost(ui.host) && cert.value === undefined && !uiInsecure) {
    throw new ConfigError(
      uiSource,
      `${ui.host} is not a loopback address: serve it over HTTPS with --ui-cert and --ui-key, or give --ui-insecure`,
    );
  }
  const hosts = pick('uiHost');
  const uiHosts: string[] = [];
  for (const part of (hosts.value ?? '').split(',')) {
    const name = part.trim().toLowerCase();
    if (name === '') continue;
    const bare = name.replace(/^\[(.*)\]$/, '$1');
    if (isIP(bare) === 6) uiHosts.push(`[${bare}]`);
    else if (
      /^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*\.?$/.test(name)
    )
      uiHosts.push(name);
    else throw new ConfigError(hosts.source, `'${part.trim()}' is not a host name or IP address`);
  }
  return {
    uiCert: cert.value === undefined ? null : resolve(cert.value),
    uiKey: key.value === undefined ? null : resolve(key.value),
    uiInsecure,
    uiHosts,
  };
}

/** A whole number ≥ 0 (days, MiB); anything else is a ConfigError naming the flag. */
function count(picked: { value: string | undefined; source: string }): number {
  const v = (picked.value ?? '0').trim();
  if (!/^\d{1,9}$/.test(v))
    throw new ConfigError(picked.source, `expected a whole number, got '${v}'`);
  return Number(v);
}

function tlsMode(picked: { value: string | undefined; source: string }): TlsMode | undefined {
  if (picked.value === undefined) return undefined;
  const mode = picked.value.trim().toLowerCase();
  if (!(TLS_MODES as readonly string[]).includes(mode)) {
    throw new ConfigError(
      picked.source,
      `unknown mode '${picked.value}' (use ${TLS_MODES.join(', ')})`,
    );
  }
  return mode as TlsMode;
}

/** The TLS part of the config; the upstream default depends on the port (993: implicit). */
function resolveTls(
  raw: RawOptions & RawSwitches,
  env: NodeJS.ProcessEnv,
  pick: (key: keyof RawOptions) => { value: string | undefined; source: string },
): Pick<Config, 'clientTls' | 'upstreamTls' | 'cert' | 'key' | 'upstreamCa' | 'upstreamInsecure'> {
  const upstream = pick('upstream').value;
  const port = upstream === undefined ? null : Number(/:(\d+)$/.exec(upstream.trim())?.[1]);
  const cert = pick('cert');
  const key = pick('key');
  if ((cert.value === undefined) !== (key.value === undefined)) {
    throw new ConfigError(
      cert.value === undefined ? key.source : cert.source,
      'needs both --cert and --key',
    );
  }
  return {
    clientTls: tlsMode(pick('clientTls')) ?? 'none',
    upstreamTls: tlsMode(pick('upstreamTls')) ?? (port === 993 ? 'implicit' : 'none'),
    cert: cert.value === undefined ? null : resolve(cert.value),
    key: key.value === undefined ? null : resolve(key.value),
    upstreamCa: pick('upstreamCa').value === undefined ? null : resolve(pick('upstreamCa').value!),
    upstreamInsecure: resolveSwitch('upstreamInsecure', raw, env),
  };
}
