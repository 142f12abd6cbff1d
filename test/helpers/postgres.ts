/**
 * A real PostgreSQL for the tests (Debian's `postgresql` package): a fresh cluster made with
 * initdb under a temp dir, started with pg_ctl on a free loopback port, password auth for a
 * test role. initdb refuses to run as root, so as root (CI) the server runs as the `postgres`
 * user the package creates (runuser); otherwise as the current user.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from './net.ts';

export interface Postgres {
  /** A superuser's URL (password inside), for imapscope's --archive. */
  url: string;
  /** A fresh, empty database on this server; returns its URL. */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

/** The server binaries: pg_config's bindir, else the newest /usr/lib/postgresql/N/bin. */
export function postgresBinDir(): string {
  try {
    const dir = execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
    if (existsSync(path.join(dir, 'initdb'))) return dir;
  } catch {
    // pg_config is in libpq-dev, often absent: look where Debian puts the server.
  }
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(path.join(root, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0)
    throw new Error('no PostgreSQL server binaries (apt install postgresql)');
  return path.join(root, versions[0]!, 'bin');
}

const PASSWORD = 'scope-test-pw';

export async function startPostgres(): Promise<Postgres> {
  const bin = postgresBinDir();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'imapscope-pg-'));
  const asRoot = process.getuid?.() === 0;
  const run = (cmd: string, args: string[]): void => {
    const full = path.join(bin, cmd);
    if (asRoot) execFileSync('runuser', ['-u', 'postgres', '--', full, ...args], { stdio: 'pipe' });
    else execFileSync(full, args, { stdio: 'pipe' });
  };
  if (asRoot) chownSync(dir, Number(execFileSync('id', ['-u', 'postgres']).toString()), 0);
  const data = path.join(dir, 'data');
  const pwfile = path.join(dir, 'pw');
  writeFileSync(pwfile, PASSWORD + '\n', { mode: 0o644 });
  run('initdb', [
    '-D',
    data,
    '-U',
    'scope',
    '--pwfile',
    pwfile,
    '-A',
    'scram-sha-256',
    '--locale=C',
    '-E',
    'UTF8',
  ]);
  let port = 0;
  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    try {
      run('pg_ctl', [
        '-D',
        data,
        '-l',
        path.join(dir, 'log'),
        '-w',
        '-o',
        `-p ${port} -c listen_addresses=127.0.0.1 -k ${dir} -c fsync=off -c max_connections=100`,
        'start',
      ]);
      break;
    } catch (err) {
      if (attempt >= 2) throw err;
    }
  }
  const base = `postgres://scope:${PASSWORD}@127.0.0.1:${port}`;
  return {
    url: `${base}/postgres`,
    async createDatabase(name: string): Promise<string> {
      const c = new pg.Client({ connectionString: `${base}/postgres` });
      await c.connect();
      try {
        await c.query(`CREATE DATABASE "${name}"`);
      } finally {
        await c.end();
      }
      return `${base}/${name}`;
    },
    async stop(): Promise<void> {
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
