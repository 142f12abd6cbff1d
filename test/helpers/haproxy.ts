/**
 * A real HAProxy (Debian's `haproxy`) for the tests: `mode tcp` frontends on free loopback
 * ports, each relaying to one backend server with or without the PROXY protocol, from a
 * config written into a fresh temporary dir.
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

export interface HaproxyRoute {
  /** Where HAProxy relays to. */
  to: { host: string; port: number };
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
  stop(): Promise<void>;
}

/**
 * Waits until HAProxy answers on its stats socket: it binds every listener before it serves
 * any, so the frontends are bound then. (A probe connection to a frontend would go through to
 * the backend and become a session of its own.)
 */
function waitForStats(socketPath: string, exited: () => boolean): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const attempt = (): void => {
      if (exited()) return reject(new Error('haproxy exited during start'));
      const s = net.connect({ path: socketPath });
      let text = '';
      s.on('data', (c: Buffer) => (text += c.toString()));
      s.once('connect', () => s.end('show info\n'));
      s.once('close', () => {
        if (/^Name: HAProxy/m.test(text)) return resolve();
        if (Date.now() > deadline) reject(new Error('haproxy did not start'));
        else setTimeout(attempt, 50);
      });
      s.once('error', () => s.destroy());
    };
    attempt();
  });
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
      `  server s${i} ${r.to.host}:${r.to.port}` +
        (r.send === 'v1' ? ' send-proxy' : r.send === 'v2' ? ' send-proxy-v2' : '') +
        (r.v2Options ? ` proxy-v2-options ${r.v2Options}` : '') +
        (r.source ? ` source ${r.source}` : ''),
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
  try {
    await waitForStats(path.join(dir, 'stats.sock'), () => exited);
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n--- haproxy output ---\n${output}\n${config}`);
  }
  return {
    ports,
    get output() {
      return output;
    },
    stop,
  };
}
