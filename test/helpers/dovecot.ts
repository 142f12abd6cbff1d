/**
 * A real Dovecot for the tests: one private instance per call, on free loopback ports,
 * rendered from test/fixtures/dovecot/dovecot.conf.template into a fresh temporary dir.
 */
import { spawn, execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import tls from 'node:tls';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll } from 'vitest';
import { freePort } from './net.ts';

const execFileAsync = promisify(execFile);

const DOVECOT_BIN = '/usr/sbin/dovecot';
const TEMPLATE = fileURLToPath(
  new URL('../fixtures/dovecot/dovecot.conf.template', import.meta.url),
);
const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 5_000;

export interface DovecotUser {
  user: string;
  password: string;
}

export interface DovecotOptions {
  /**
   * Record every byte Dovecot receives (.in) and sends (.out). `true`: pre-login (imap-login -R)
   * and post-login (rawlog_dir), both with Dovecot's per-line timestamps. `'postlogin'`: the
   * classic `rawlog` program as the imap service's post-login script, as Dovecot's wiki shows it:
   * post-login only, without timestamps (its default), into `~/dovecot.rawlog` of the mail user.
   */
  rawlog?: boolean | 'postlogin';
  /** Accounts besides the default test user. */
  extraUsers?: DovecotUser[];
  /** Also load ACL, QUOTA (count backend, 1 GiB), METADATA and NOTIFY (mailbox list index). */
  extensions?: boolean;
  /**
   * A third plain listener (`haproxyPort`) that requires a PROXY header (`haproxy = yes`) from
   * `haproxy_trusted_networks` (loopback), and login log lines that show the client's port
   * (`rip=… rport=…`): what imapscope's --upstream-proxy-protocol is checked against.
   */
  haproxy?: boolean;
}

/** The settings behind DovecotOptions.extensions. */
const EXTENSION_SETTINGS = `
mail_attribute_dict = file:%h/dovecot-attributes
mailbox_list_index = yes
protocol imap {
  imap_metadata = yes
}
plugin {
  acl = vfile
  quota = count:User quota
  quota_rule = *:storage=1G
  quota_vsizes = yes
}`;

export interface Dovecot {
  host: string;
  /** Plain IMAP; STARTTLS is offered. */
  port: number;
  /** Implicit TLS, with the self-signed certificate in `certPem`. */
  tlsPort: number;
  user: string;
  password: string;
  /** A second account, always present. */
  user2: DovecotUser;
  /** The temporary directory holding config, mail, certificate, logs. */
  dir: string;
  /** PEM of the self-signed certificate (CN=localhost, SAN 127.0.0.1), for clients that verify. */
  certPem: string;
  /** Present when started with `rawlog` set. */
  rawlogDir?: string;
  /** Present when started with `haproxy`: plain IMAP behind a required PROXY header. */
  haproxyPort?: number;
  /** Dovecot's own log so far (master, login, imap processes). */
  log(): Promise<string>;
  /** Kills Dovecot and its children, then removes the temporary dir. Safe to call twice. */
  stop(): Promise<void>;
}

const INSTALL_HINT =
  'Dovecot is required for the integration tests: apt-get install dovecot-imapd ' +
  '(keep Debian from starting its own copy with an /usr/sbin/policy-rc.d that exits 101).';

/** Looks a user up in /etc/passwd; the tests use system accounts Debian's dovecot package creates. */
async function passwdEntry(name: string): Promise<{ uid: number; gid: number } | undefined> {
  const passwd = await readFile('/etc/passwd', 'utf8');
  for (const line of passwd.split('\n')) {
    const fields = line.split(':');
    if (fields[0] === name && fields[2] !== undefined && fields[3] !== undefined) {
      return { uid: Number(fields[2]), gid: Number(fields[3]) };
    }
  }
  return undefined;
}

interface Identities {
  loginUser: string;
  internalUser: string;
  mailUid: number;
  mailGid: number;
}

/**
 * As root, Dovecot's login processes run as dovenull, its internals as dovecot and mail as
 * nobody (Dovecot refuses uid 0 for mail). As anyone else, everything runs as that user.
 */
async function identities(): Promise<Identities> {
  const me = os.userInfo();
  if (me.uid !== 0) {
    return { loginUser: me.username, internalUser: me.username, mailUid: me.uid, mailGid: me.gid };
  }
  const nobody = await passwdEntry('nobody');
  for (const required of ['dovenull', 'dovecot']) {
    if (!(await passwdEntry(required))) {
      throw new Error(`system user ${required} is missing. ${INSTALL_HINT}`);
    }
  }
  if (!nobody) throw new Error('system user nobody is missing; the mail store runs as nobody');
  return {
    loginUser: 'dovenull',
    internalUser: 'dovecot',
    mailUid: nobody.uid,
    mailGid: nobody.gid,
  };
}

async function makeCertificate(tlsDir: string): Promise<void> {
  await execFileAsync('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=localhost',
    '-addext',
    'subjectAltName=DNS:localhost,IP:127.0.0.1',
    '-keyout',
    path.join(tlsDir, 'key.pem'),
    '-out',
    path.join(tlsDir, 'cert.pem'),
  ]);
}

function render(template: string, values: Record<string, string>): string {
  return template.replace(/\{\{([A-Z_]+)\}\}/g, (_m, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`dovecot template: no value for {{${name}}}`);
    return value;
  });
}

/** Resolves with the greeting line once the port accepts and Dovecot greets (over TLS if `ca`). */
function readGreeting(host: string, port: number, ca?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = ca
      ? tls.connect({ host, port, ca, servername: 'localhost' })
      : net.connect({ host, port });
    let text = '';
    socket.setTimeout(2_000, () => socket.destroy(new Error('no greeting')));
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      const end = text.indexOf('\r\n');
      if (end >= 0) {
        socket.destroy();
        resolve(text.slice(0, end));
      }
    });
    socket.on('error', reject);
  });
}

async function waitForGreeting(
  host: string,
  port: number,
  exited: () => boolean,
  ca?: string,
): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (exited()) throw new Error('dovecot exited during start');
    try {
      const greeting = await readGreeting(host, port, ca);
      if (greeting.startsWith('* OK')) return;
      lastError = new Error(`unexpected greeting: ${greeting}`);
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`dovecot did not greet on ${host}:${port}: ${String(lastError)}`);
}

interface Prepared {
  haproxyPort: number | undefined;
  port: number;
  tlsPort: number;
  certPem: string;
  configPath: string;
  rawlogDir: string | undefined;
  user: string;
  password: string;
  user2: DovecotUser;
}

/** Fills the temporary dir: mail home, rawlog dir, certificate, users file, rendered config. */
async function prepare(dir: string, ids: Identities, opts: DovecotOptions): Promise<Prepared> {
  // Dovecot's unprivileged processes must traverse the dir to reach the mail store and rawlogs.
  await chmod(dir, 0o755);
  const home = path.join(dir, 'home');
  const postlogin = opts.rawlog === 'postlogin';
  const rawlogDir = postlogin
    ? path.join(home, 'test', 'dovecot.rawlog')
    : opts.rawlog
      ? path.join(dir, 'rawlog')
      : undefined;
  for (const sub of ['run', 'state', 'tls', 'home']) await mkdir(path.join(dir, sub));
  await chown(home, ids.mailUid, ids.mailGid);
  if (postlogin && rawlogDir) {
    // rawlog writes there only when the directory exists; it runs as the mail user.
    await mkdir(rawlogDir, { recursive: true });
    for (const d of [path.dirname(rawlogDir), rawlogDir]) await chown(d, ids.mailUid, ids.mailGid);
  } else if (rawlogDir) {
    await mkdir(rawlogDir);
    // Written by the login user (pre-login) and by the mail user (post-login).
    await chmod(rawlogDir, 0o1777);
  }
  await makeCertificate(path.join(dir, 'tls'));
  const certPem = await readFile(path.join(dir, 'tls', 'cert.pem'), 'utf8');

  const user = 'test';
  const password = 'test-secret';
  const user2 = { user: 'test2', password: 'test2-secret' };
  const users = [{ user, password }, user2, ...(opts.extraUsers ?? [])];
  await writeFile(
    path.join(dir, 'users'),
    users
      .map(
        (u) =>
          `${u.user}:{PLAIN}${u.password}:${ids.mailUid}:${ids.mailGid}::${path.join(home, u.user)}::\n`,
      )
      .join(''),
  );

  const port = await freePort();
  let tlsPort = await freePort();
  while (tlsPort === port) tlsPort = await freePort();
  let haproxyPort = opts.haproxy ? await freePort() : undefined;
  while (haproxyPort !== undefined && (haproxyPort === port || haproxyPort === tlsPort))
    haproxyPort = await freePort();
  const config = render(await readFile(TEMPLATE, 'utf8'), {
    DIR: dir,
    INSTANCE: path.basename(dir),
    LOGIN_USER: ids.loginUser,
    INTERNAL_USER: ids.internalUser,
    MAIL_UID: String(ids.mailUid),
    MAIL_GID: String(ids.mailGid),
    PORT: String(port),
    TLS_PORT: String(tlsPort),
    // Post-login traffic: the imap process's rawlog. Pre-login: imap-login's -R flag.
    IMAP_RAWLOG: rawlogDir && !postlogin ? `  rawlog_dir = ${rawlogDir}` : '',
    LOGIN_RAWLOG: rawlogDir && !postlogin ? `  executable = imap-login -R ${rawlogDir}` : '',
    IMAP_EXECUTABLE: postlogin ? '  executable = imap postlogin' : '',
    POSTLOGIN_SERVICE: postlogin
      ? 'service postlogin {\n  executable = script-login -d rawlog\n  unix_listener postlogin {\n  }\n}'
      : '',
    EXTENSION_MAIL_PLUGINS: opts.extensions ? ' acl quota notify' : '',
    EXTENSION_IMAP_PLUGINS: opts.extensions ? ' imap_acl imap_quota' : '',
    EXTENSION_SETTINGS: opts.extensions ? EXTENSION_SETTINGS : '',
    HAPROXY_SETTINGS: opts.haproxy
      ? 'haproxy_trusted_networks = 127.0.0.0/8\n' +
        'login_log_format_elements = user=<%{user}> method=%{mechanism} rip=%{rip} rport=%{rport} lip=%{lip} lport=%{lport} %{secured} session=<%{session}>'
      : '',
    HAPROXY_LISTENER: haproxyPort
      ? `  inet_listener imap_haproxy {\n    address = 127.0.0.1\n    port = ${haproxyPort}\n    haproxy = yes\n  }`
      : '',
  });
  const configPath = path.join(dir, 'dovecot.conf');
  await writeFile(configPath, config);

  return { haproxyPort, port, tlsPort, certPem, configPath, rawlogDir, user, password, user2 };
}

/**
 * Starts a private Dovecot: fresh temporary dir, free loopback ports, users `test` and
 * `test2`, a self-signed certificate made with openssl, imap_zlib (COMPRESS=DEFLATE) loaded.
 * Resolves once both ports accept and the plain port has sent its `* OK` greeting.
 * Throws (never skips) when Dovecot is not installed.
 */
export async function startDovecot(opts: DovecotOptions = {}): Promise<Dovecot> {
  if (!existsSync(DOVECOT_BIN)) throw new Error(`${DOVECOT_BIN} not found. ${INSTALL_HINT}`);
  // A free port can be taken by another process between freePort() and Dovecot's bind.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startDovecotOnce(opts);
    } catch (err) {
      if (attempt >= 3 || !/Address already in use/.test((err as Error).message)) throw err;
    }
  }
}

async function startDovecotOnce(opts: DovecotOptions): Promise<Dovecot> {
  const ids = await identities();
  const host = '127.0.0.1';
  const dir = await mkdtemp(path.join(os.tmpdir(), 'imapscope-dovecot-'));
  let prepared: Prepared;
  try {
    prepared = await prepare(dir, ids, opts);
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const { haproxyPort, port, tlsPort, certPem, configPath, rawlogDir, user, password, user2 } =
    prepared;
  const child = spawn(DOVECOT_BIN, ['-F', '-c', configPath], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  let hasExited = false;
  const exitedPromise = new Promise<void>((resolve) => {
    child.on('exit', () => {
      hasExited = true;
      resolve();
    });
  });
  child.on('error', () => {
    hasExited = true;
  });

  const log = async (): Promise<string> => {
    try {
      return await readFile(path.join(dir, 'dovecot.log'), 'utf8');
    } catch {
      return '';
    }
  };

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (!hasExited) {
      // The master process kills its children when it receives SIGTERM.
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exitedPromise;
      clearTimeout(timer);
    }
    if (!process.env.IMAPSCOPE_KEEP_DOVECOT) await rm(dir, { recursive: true, force: true });
  };

  try {
    await waitForGreeting(host, port, () => hasExited);
    await waitForGreeting(host, tlsPort, () => hasExited, certPem);
  } catch (err) {
    const detail = `${output}\n${await log()}`.trim();
    await stop();
    throw new Error(`${(err as Error).message}\n--- dovecot output ---\n${detail}`, {
      cause: err,
    });
  }

  return {
    host,
    port,
    tlsPort,
    user,
    password,
    user2,
    dir,
    certPem,
    ...(rawlogDir ? { rawlogDir } : {}),
    ...(haproxyPort ? { haproxyPort } : {}),
    log,
    stop,
  };
}

/**
 * Starts a Dovecot in beforeAll and stops it in afterAll. The returned getter throws when
 * called before beforeAll has run.
 */
export function useDovecot(opts: DovecotOptions = {}): () => Dovecot {
  let dovecot: Dovecot | undefined;
  beforeAll(async () => {
    dovecot = await startDovecot(opts);
  });
  afterAll(async () => {
    await dovecot?.stop();
  });
  return () => {
    if (!dovecot)
      throw new Error('useDovecot(): Dovecot is not started yet (use it inside a test)');
    return dovecot;
  };
}
