import { chmodSync, mkdirSync } from 'node:fs';
import { homedir, hostname } from 'node:os';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { ConfigError } from './errors.ts';
import { DEFAULT_DRAIN_S, DEFAULT_IDLE_TIMEOUT_S, DEFAULT_MAX_CONNECTIONS } from './limits.ts';
import { LOG_LEVELS } from './log.ts';
import { TLS_MODES } from './net/tls-modes.ts';
import { parseCidr } from './net/cidr.ts';
import type { Cidr } from './net/cidr.ts';
import type { TlsMode } from './net/tls-modes.ts';

/** What inspection does when it falls behind: slow the relay down (lossless) or drop bytes and mark a gap. */
export const INSPECTION_MODES = ['lossless', 'best-effort'] as const;
export type InspectionMode = (typeof INSPECTION_MODES)[number];

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
  /** Hash every literal body (sha256) during inspection; off by default (it is most of the per-byte cost). */
  literalHashes: boolean;
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
  /** A postgres:// URL: the archive shared by several instances; null: SQLite in the data dir. */
  archiveUrl: string | null;
  /** This instance's name, recorded with each session (default: the host name). */
  instance: string;
  /**
   * The viewer's console (a WebSocket bridge through imapscope's own listener) against a real
   * --upstream; always on with the practice server.
   */
  console: boolean;
  /** lossless (default): the relay waits for inspection; best-effort: inspection drops, with gap events. */
  inspection: InspectionMode;
  /** Client connections relayed at once; one more gets `* BYE [UNAVAILABLE]` and is closed. */
  maxConnections: number;
  /** Seconds without a byte either way before a session is closed; 0: never. */
  idleTimeoutS: number;
  /** Seconds a shutdown (SIGTERM, SIGINT) waits for sessions to end after their BYE. */
  drainS: number;
  /** HTTPS for the viewer, API and WebSocket (PEM files); null: plain HTTP (loopback only). */
  uiCert: string | null;
  uiKey: string | null;
  /** Serve a non-loopback --ui over plain HTTP anyway (warned about). */
  uiInsecure: boolean;
  /** More names the UI answers to in Host, besides the loopback names and the --ui host. */
  uiHosts: string[];
  /**
   * --proxy-protocol: every client connection starts with a PROXY header (v1 or v2) from one
   * of these networks (--proxy-trusted); null: off, the socket's peer is the client.
   */
  proxyTrusted: Cidr[] | null;
  /** Send a PROXY v2 header naming the real client to the upstream first. */
  upstreamProxyProtocol: boolean;
  /** /metrics without the token (allowed only with the UI on loopback). */
  metricsPublic: boolean;
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
  archive?: string;
  instance?: string;
  inspection?: string;
  maxConnections?: string;
  idleTimeout?: string;
  drainSeconds?: string;
  uiCert?: string;
  uiKey?: string;
  uiHost?: string;
  proxyTrusted?: string;
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
  {
    key: 'archive',
    flag: '--archive',
    env: 'IMAPSCOPE_ARCHIVE',
    value: 'URL',
    def: undefined,
    help: 'postgres://USER@HOST/DB: one PostgreSQL archive shared by several instances (default: SQLite in --data); the password from PGPASSWORD or ~/.pgpass, not the command line',
  },
  {
    key: 'instance',
    flag: '--instance',
    env: 'IMAPSCOPE_INSTANCE',
    value: 'NAME',
    def: hostname(),
    help: "this instance's name, recorded with each session it relays (letters, digits, . _ -)",
  },
  {
    key: 'inspection',
    flag: '--inspection',
    env: 'IMAPSCOPE_INSPECTION',
    value: 'MODE',
    def: 'lossless',
    help: 'when inspection falls behind: lossless (the relay slows down) or best-effort (bytes go uninspected, shown as gaps)',
  },
  {
    key: 'maxConnections',
    flag: '--max-connections',
    env: 'IMAPSCOPE_MAX_CONNECTIONS',
    value: 'N',
    def: String(DEFAULT_MAX_CONNECTIONS),
    help: 'clients relayed at once; one more gets "* BYE [UNAVAILABLE] too many connections"',
  },
  {
    key: 'idleTimeout',
    flag: '--idle-timeout',
    env: 'IMAPSCOPE_IDLE_TIMEOUT',
    value: 'SECONDS',
    def: String(DEFAULT_IDLE_TIMEOUT_S),
    help: 'close a session after SECONDS without a byte either way, IDLE included (0: never; RFC 9051 asks servers for at least 30 min)',
  },
  {
    key: 'drainSeconds',
    flag: '--drain-seconds',
    env: 'IMAPSCOPE_DRAIN_SECONDS',
    value: 'SECONDS',
    def: String(DEFAULT_DRAIN_S),
    help: 'on SIGTERM/SIGINT, wait this long for clients to leave after their BYE before closing them',
  },
  {
    key: 'proxyTrusted',
    flag: '--proxy-trusted',
    env: 'IMAPSCOPE_PROXY_TRUSTED',
    value: 'CIDR,...',
    def: undefined,
    help: 'with --proxy-protocol: the load balancers allowed to send PROXY headers (e.g. 10.0.0.0/8,::1); required with it',
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
  literalHashes?: boolean;
  upstreamInsecure?: boolean;
  console?: boolean;
  uiInsecure?: boolean;
  proxyProtocol?: boolean;
  upstreamProxyProtocol?: boolean;
  metricsPublic?: boolean;
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
    key: 'literalHashes',
    flag: '--literal-hashes',
    env: 'IMAPSCOPE_LITERAL_HASHES',
    help: 'compute the sha256 of every literal body (messages, uploads) for the viewer, API and exports; costs CPU per byte',
  },
  {
    key: 'upstreamInsecure',
    flag: '--upstream-insecure',
    env: 'IMAPSCOPE_UPSTREAM_INSECURE',
    help: "do not verify the upstream's certificate (warned about in the log and the ready line)",
  },
  {
    key: 'console',
    flag: '--console',
    env: 'IMAPSCOPE_CONSOLE',
    help: "let the viewer's console type IMAP to the real --upstream through imapscope (always on with the practice server)",
  },
  {
    key: 'uiInsecure',
    flag: '--ui-insecure',
    env: 'IMAPSCOPE_UI_INSECURE',
    help: 'serve a non-loopback --ui over plain HTTP (warned about in the log and the ready line)',
  },
  {
    key: 'proxyProtocol',
    flag: '--proxy-protocol',
    env: 'IMAPSCOPE_PROXY_PROTOCOL',
    help: 'clients come through a load balancer that sends the PROXY protocol (v1 or v2, as HAProxy send-proxy/send-proxy-v2): the header names the real client; connections from outside --proxy-trusted or without a valid header are refused',
  },
  {
    key: 'upstreamProxyProtocol',
    flag: '--upstream-proxy-protocol',
    env: 'IMAPSCOPE_UPSTREAM_PROXY_PROTOCOL',
    help: "send a PROXY v2 header naming the real client to the upstream (Dovecot: haproxy = yes on the listener, haproxy_trusted_networks with imapscope's address)",
  },
  {
    key: 'metricsPublic',
    flag: '--metrics-public',
    env: 'IMAPSCOPE_METRICS_PUBLIC',
    help: 'serve /metrics without the token (only with --ui on loopback)',
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
    literalHashes: resolveSwitch('literalHashes', raw, env),
    console: resolveSwitch('console', raw, env),
    retainDays: count(pick('retainDays')),
    maxArchiveMb: count(pick('maxArchiveMb')),
    ...resolveArchive(pick),
    inspection: inspectionMode(pick('inspection')),
    maxConnections: atLeastOne(pick('maxConnections')),
    idleTimeoutS: count(pick('idleTimeout')),
    drainS: count(pick('drainSeconds')),
    ...resolveTls(raw, env, pick),
    ...resolveUiExposure(parseHostPort(ui.source, ui.value!), ui.source, raw, env, pick),
    ...resolveProxyProtocol(raw, env, pick),
    metricsPublic: resolveMetricsPublic(parseHostPort(ui.source, ui.value!), raw, env),
  };
}

/** --archive (a postgres:// URL or nothing) and --instance. */
export function resolveArchive(
  pick: (key: keyof RawOptions) => { value: string | undefined; source: string },
): Pick<Config, 'archiveUrl' | 'instance'> {
  const archive = pick('archive');
  const instance = pick('instance');
  let archiveUrl: string | null = null;
  if (archive.value !== undefined && archive.value !== '') {
    let ok = false;
    try {
      ok = /^postgres(ql)?:$/i.test(new URL(archive.value).protocol);
    } catch {
      ok = false;
    }
    if (!ok) throw new ConfigError(archive.source, 'expected a postgres://USER@HOST[:PORT]/DB URL');
    archiveUrl = archive.value;
  }
  const name = instance.value ?? 'imapscope';
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(name)) {
    throw new ConfigError(
      instance.source,
      `expected 1 to 64 letters, digits, '.', '_' or '-', got '${name}'`,
    );
  }
  return { archiveUrl, instance: name };
}

/**
 * --proxy-protocol needs --proxy-trusted (a list of CIDRs or single addresses): trusting every
 * address would let any client name itself whoever it likes. --proxy-trusted alone is refused
 * too, as a sign of a forgotten --proxy-protocol.
 */
function resolveProxyProtocol(
  raw: RawSwitches,
  env: NodeJS.ProcessEnv,
  pick: (key: keyof RawOptions) => { value: string | undefined; source: string },
): Pick<Config, 'proxyTrusted' | 'upstreamProxyProtocol'> {
  const on = resolveSwitch('proxyProtocol', raw, env);
  const trusted = pick('proxyTrusted');
  const upstreamProxyProtocol = resolveSwitch('upstreamProxyProtocol', raw, env);
  if (upstreamProxyProtocol && pick('upstream').value === undefined)
    throw new ConfigError(
      raw.upstreamProxyProtocol !== undefined
        ? '--upstream-proxy-protocol'
        : 'IMAPSCOPE_UPSTREAM_PROXY_PROTOCOL',
      'needs --upstream: the built-in practice server does not read PROXY headers',
    );
  if (!on) {
    if (trusted.value !== undefined)
      throw new ConfigError(trusted.source, 'only means something with --proxy-protocol');
    return { proxyTrusted: null, upstreamProxyProtocol };
  }
  if (trusted.value === undefined || trusted.value.trim() === '')
    throw new ConfigError(
      trusted.source,
      'is required with --proxy-protocol: the load balancers allowed to send PROXY headers (CIDR,...)',
    );
  const cidrs: Cidr[] = [];
  for (const part of trusted.value.split(',')) {
    if (part.trim() === '') continue;
    const cidr = parseCidr(part);
    if (!cidr)
      throw new ConfigError(
        trusted.source,
        `'${part.trim()}' is not an address or CIDR (like 10.0.0.0/8 or fd00::/8)`,
      );
    cidrs.push(cidr);
  }
  return { proxyTrusted: cidrs, upstreamProxyProtocol };
}

/** /metrics without the token only where the UI is reachable from this machine alone. */
function resolveMetricsPublic(ui: HostPort, raw: RawSwitches, env: NodeJS.ProcessEnv): boolean {
  const on = resolveSwitch('metricsPublic', raw, env);
  if (on && !isLoopbackHost(ui.host))
    throw new ConfigError(
      raw.metricsPublic !== undefined ? '--metrics-public' : 'IMAPSCOPE_METRICS_PUBLIC',
      `the UI listens on ${ui.host}, not loopback: /metrics keeps its token there`,
    );
  return on;
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

function inspectionMode(picked: { value: string | undefined; source: string }): InspectionMode {
  const mode = (picked.value ?? 'lossless').trim().toLowerCase();
  if (!(INSPECTION_MODES as readonly string[]).includes(mode)) {
    throw new ConfigError(
      picked.source,
      `unknown mode '${picked.value}' (use ${INSPECTION_MODES.join(' or ')})`,
    );
  }
  return mode as InspectionMode;
}

function atLeastOne(picked: { value: string | undefined; source: string }): number {
  const n = count(picked);
  if (n < 1) throw new ConfigError(picked.source, `expected at least 1, got '${picked.value}'`);
  return n;
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

/**
 * Makes the data directory ready for any command (run, ca, export, import): created with its
 * parents when missing, mode 0700 (it holds the token, the CA key and the archive). A path that
 * cannot be a directory or cannot be created is the user's mistake: a ConfigError naming it.
 */
export function prepareDataDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new ConfigError('--data', `cannot use '${dir}' as the data directory (${code})`);
  }
}
