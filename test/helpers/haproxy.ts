/**
 * A real HAProxy (Debian's `haproxy`) for the tests: `mode tcp` frontends on free loopback
 * ports, each relaying to one backend server, or balancing over several with docs/deploy.md's
 * `/healthz` check, with or without the PROXY protocol, from a config written into a fresh
 * temporary dir.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './net.ts';

const HAPROXY_BIN = '/usr/sbin/haproxy';
const START_TIMEOUT_MS = 15_000;

/** One server of a balanced backend. */
export interface HaproxyServer {
  /** Its `server` name: HAProxy's log and `show stat` name it so. */
  name: string;
  host: string;
  port: number;
  /**
   * Checked as docs/deploy.md says: `GET /healthz` on this port (imapscope's UI port), up on
   * 200. Without it, the server is not checked.
   */
  healthPort?: number;
}

export interface HaproxyRoute {
  /** Where HAProxy relays to: one address, or servers to balance over. */
  to: { host: string; port: number } | HaproxyServer[];
  /** The backend's `balance` algorithm when `to` lists servers (docs/deploy.md: leastconn). */
  balance?: 'roundrobin' | 'leastconn';
  /** `send-proxy` (v1), `send-proxy-v2`, or nothing. */
  send: 'v1' | 'v2' | 'none';
  /** The address HAProxy connects from (any 127.x works on Linux loopback). */
  source?: string;
  /** Extra `proxy-v2-options` (e.g. `unique-id,authority,crc32c`). */
  v2Options?: string;
}

export interface Haproxy {
  /** One frontend port per route, in order. */
  ports: number[];
  /** What HAProxy printed (its log goes to stderr). */
  readonly output: string;
  /** Each checked server's status from the stats socket (`UP`, `DOWN`, `UP 1/2`…), by name. */
  serverStatus(): Promise<Record<string, string>>;
  stop(): Promise<void>;
}

/**
 * Health checks every this often in the tests (docs/deploy.md: 2s), so a dead server is seen
 * sooner; each may take up to `timeout check` (5s), so a slow answer on a loaded machine does
 * not mark a live instance down. A killed one refuses at once.
 */
const CHECK_INTER = '500ms';

function backendLines(r: HaproxyRoute, i: number): string[] {
  const send =
    (r.send === 'v1' ? ' send-proxy' : r.send === 'v2' ? ' send-proxy-v2' : '') +
    (r.v2Options ? ` proxy-v2-options ${r.v2Options}` : '') +
    (r.source ? ` source ${r.source}` : '');
  if (!Array.isArray(r.to)) return [`  server s${i} ${r.to.host}:${r.to.port}${send}`];
  const checked = r.to.some((s) => s.healthPort !== undefined);
  return [
    `  balance ${r.balance ?? 'roundrobin'}`,
    // A connection refused by a dead server that the check has not caught yet is retried on
    // another server, so clients never see the gap (docs/deploy.md).
    '  retries 3',
    '  option redispatch',
    ...(checked
      ? [
          // docs/deploy.md's check, over plain HTTP (the tests' UI is on loopback, no TLS).
          '  option httpchk',
          '  timeout check 5s',
          '  http-check send meth GET uri /healthz ver HTTP/1.1 hdr Host imapscope',
          '  http-check expect status 200',
        ]
      : []),
    ...r.to.map(
      (s) =>
        `  server ${s.name} ${s.host}:${s.port}${send}` +
        (s.healthPort === undefined
          ? ''
          : ` check port ${s.healthPort} inter ${CHECK_INTER} fall 2 rise 1`),
    ),
  ];
}

/** Sends one command to the stats socket; resolves with the whole answer. */
function statsCommand(socketPath: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ path: socketPath });
    let text = '';
    s.on('data', (c: Buffer) => (text += c.toString()));
    s.once('connect', () => s.end(`${command}\n`));
    s.once('close', () => resolve(text));
    s.once('error', reject);
  });
}

/**
 * Waits until HAProxy answers on its stats socket: it binds every listener before it serves
 * any, so the frontends are bound then. (A probe connection to a frontend would go through to
 * the backend and become a session of its own.)
 */
async function waitForStats(socketPath: string, exited: () => boolean): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (exited()) throw new Error('haproxy exited during start');
    const text = await statsCommand(socketPath, 'show info').catch(() => '');
    if (/^Name: HAProxy/m.test(text)) return;
    if (Date.now() > deadline) throw new Error('haproxy did not start');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Starts HAProxy with one frontend per route; throws (never skips) when it is not installed. */
export async function startHaproxy(routes: HaproxyRoute[]): Promise<Haproxy> {
  if (!existsSync(HAPROXY_BIN))
    throw new Error(
      `${HAPROXY_BIN} not found: apt-get install haproxy (the tests start their own)`,
    );
  const dir = await mkdtemp(path.join(os.tmpdir(), 'imapscope-haproxy-'));
  const ports: number[] = [];
  for (const _ of routes) {
    let p = await freePort();
    while (ports.includes(p)) p = await freePort();
    ports.push(p);
  }
  const config = [
    'global',
    `  stats socket ${path.join(dir, 'stats.sock')} mode 600 level user`,
    '  log stderr format raw local0 info',
    'defaults',
    '  mode tcp',
    '  log global',
    '  option tcplog',
    '  timeout connect 5s',
    '  timeout client 60s',
    '  timeout server 60s',
    ...routes.flatMap((r, i) => [
      `frontend f${i}`,
      `  bind 127.0.0.1:${ports[i]}`,
      `  unique-id-format imapscope-test-${i}`,
      `  default_backend b${i}`,
      `backend b${i}`,
      ...backendLines(r, i),
    ]),
    '',
  ].join('\n');
  const configPath = path.join(dir, 'haproxy.cfg');
  await writeFile(configPath, config);
  const child = spawn(HAPROXY_BIN, ['-db', '-f', configPath], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) =>
    child.on('exit', () => {
      exited = true;
      resolve();
    }),
  );
  child.on('error', () => (exited = true));
  const stop = async (): Promise<void> => {
    if (!exited) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exitedPromise;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };
  const statsPath = path.join(dir, 'stats.sock');
  try {
    await waitForStats(statsPath, () => exited);
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n--- haproxy output ---\n${output}\n${config}`);
  }
  return {
    ports,
    get output() {
      return output;
    },
    async serverStatus() {
      // `show stat` is CSV: "# pxname,svname,…,status,…"; servers are the rows not named
      // FRONTEND or BACKEND.
      const [head, ...rows] = (await statsCommand(statsPath, 'show stat')).trim().split('\n');
      const cols = head!.replace(/^# /, '').split(',');
      const [name, status] = [cols.indexOf('svname'), cols.indexOf('status')];
      const out: Record<string, string> = {};
      for (const row of rows) {
        const f = row.split(',');
        if (f[name] !== 'FRONTEND' && f[name] !== 'BACKEND') out[f[name]!] = f[status]!;
      }
      return out;
    },
    stop,
  };
}
