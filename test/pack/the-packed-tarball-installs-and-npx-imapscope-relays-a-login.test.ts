/**
 * The package as npm would publish it (issue 15): `npm pack` of the compiled build, installed
 * from the tarball into an empty directory as on a clean machine (dependencies only, no
 * devDependencies, so no tsx and no TypeScript), then `npx imapscope --help`, and `npx
 * imapscope` with its practice server relaying a LOGIN, the inspection thread recording it and
 * the viewer and docs/openapi.json served from the installed package.
 *
 * The package is packed from a staging copy: dist/ compiled there from the sources as checked
 * out (`tsc -p tsconfig.build.json --outDir`), the other entries of package.json's `files`
 * copied from the repository (viewer/dist/ comes from `npm ci` or `npm run build:viewer`). The
 * repository's own dist/ is neither read nor written.
 *
 * Slow (installing builds better-sqlite3 when no prebuilt binary can be fetched), so it is not
 * part of `npm test`: `npm run test:pack` runs it, and .ci/run runs that after `npm test`.
 *
 * IMAPSCOPE_TEST_PACK_REUSE_NATIVE=1 (for a machine that cannot download better-sqlite3's
 * prebuilt binary and has no minutes to compile it again) installs without install scripts and
 * copies the repository's own compiled better-sqlite3 binary, of the same version, in their
 * place; everything else is as above. .ci/run does not set it.
 */
import { execFile, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/imapscope.ts';
import { rawSession } from '../helpers/raw-imap.ts';
import { useTempDir } from '../helpers/temp-dir.ts';

const run = promisify(execFile);
const INSTALL_TIMEOUT_MS = 15 * 60_000;

interface PackedFile {
  path: string;
}

describe('the packed tarball', () => {
  const tmp = useTempDir('imapscope-pack-');
  let installDir = '';
  let packedFiles: string[] = [];
  const children: ReturnType<typeof spawn>[] = [];

  beforeAll(async () => {
    const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
      files: string[];
    };
    const stage = path.join(tmp(), 'stage');
    mkdirSync(stage);
    for (const entry of pkg.files) {
      if (entry.replace(/\/$/, '') === 'dist') continue;
      const from = path.join(REPO_ROOT, entry);
      if (!existsSync(from)) {
        throw new Error(`${entry} (in package.json "files") is missing: run npm run build`);
      }
      cpSync(from, path.join(stage, entry), { recursive: true, dereference: true });
    }
    for (const file of ['package.json', 'README.md']) {
      cpSync(path.join(REPO_ROOT, file), path.join(stage, file));
    }
    const tsc = path.join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    await run(process.execPath, [
      tsc,
      '-p',
      path.join(REPO_ROOT, 'tsconfig.build.json'),
      '--outDir',
      path.join(stage, 'dist'),
    ]);
    // --ignore-scripts: the "prepare" script (vite + tsc) is for a checkout, not for the stage.
    const packed = await run(
      'npm',
      ['pack', '--json', '--ignore-scripts', '--pack-destination', tmp()],
      { cwd: stage },
    );
    const [info] = JSON.parse(packed.stdout) as { filename: string; files: PackedFile[] }[];
    packedFiles = info!.files.map((f) => f.path);

    installDir = path.join(tmp(), 'clean');
    mkdirSync(installDir);
    writeFileSync(
      path.join(installDir, 'package.json'),
      JSON.stringify({ name: 'clean-machine', private: true }),
    );
    const reuseNative = process.env.IMAPSCOPE_TEST_PACK_REUSE_NATIVE === '1';
    // From the local npm cache where it can (npm ci filled it); the registry only for a miss.
    await run(
      'npm',
      [
        'install',
        '--prefer-offline',
        '--omit=dev',
        '--no-audit',
        '--no-fund',
        ...(reuseNative ? ['--ignore-scripts'] : []),
        path.join(tmp(), info!.filename),
      ],
      { cwd: installDir, timeout: INSTALL_TIMEOUT_MS },
    );
    if (reuseNative) {
      const ours = path.join(REPO_ROOT, 'node_modules', 'better-sqlite3');
      const theirs = path.join(installDir, 'node_modules', 'better-sqlite3');
      const version = (dir: string): string =>
        (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string })
          .version;
      expect(version(theirs)).toBe(version(ours));
      mkdirSync(path.join(theirs, 'build', 'Release'), { recursive: true });
      cpSync(
        path.join(ours, 'build', 'Release', 'better_sqlite3.node'),
        path.join(theirs, 'build', 'Release', 'better_sqlite3.node'),
      );
    }
  }, INSTALL_TIMEOUT_MS + 120_000);

  afterAll(() => {
    for (const child of children) {
      // npx runs imapscope in a process group of its own (detached): end all of it.
      if (child.pid !== undefined && child.exitCode === null) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // gone already
        }
      }
    }
  });

  it('holds the compiled build, the viewer and the API description, and no sources', () => {
    for (const file of [
      'bin/imapscope.js',
      'dist/proxy/cli/main.js',
      'dist/proxy/inspection/thread.js',
      'dist/shared/events.js',
      'viewer/dist/index.html',
      'docs/openapi.json',
      'package.json',
      'README.md',
    ]) {
      expect(packedFiles).toContain(file);
    }
    expect(packedFiles.filter((f) => /\.ts$/.test(f) && !f.endsWith('.d.ts'))).toEqual([]);
    expect(packedFiles.filter((f) => f.startsWith('test/') || f.startsWith('proxy/'))).toEqual([]);
  });

  it('installs without devDependencies: no tsx, no TypeScript', () => {
    const modules = path.join(installDir, 'node_modules');
    expect(existsSync(path.join(modules, 'imapscope', 'dist', 'proxy', 'cli', 'main.js'))).toBe(
      true,
    );
    expect(existsSync(path.join(modules, 'better-sqlite3'))).toBe(true);
    expect(existsSync(path.join(modules, 'tsx'))).toBe(false);
    expect(existsSync(path.join(modules, 'typescript'))).toBe(false);
  });

  it('npx imapscope --help prints the flags and exits 0', async () => {
    const { stdout } = await run('npx', ['--offline', 'imapscope', '--help'], {
      cwd: installDir,
    });
    expect(stdout).toContain('--upstream');
    expect(stdout.replace(/\s+/g, ' ')).toContain('IMAPSCOPE_LISTEN');
  });

  it('npx imapscope starts with its practice server, relays a LOGIN and records it', async () => {
    const child = spawn(
      'npx',
      [
        '--offline',
        'imapscope',
        '--listen',
        '127.0.0.1:0',
        '--ui',
        '127.0.0.1:0',
        '--data',
        path.join(tmp(), 'data'),
      ],
      { cwd: installDir, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(child);
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const lines: Record<string, unknown>[] = [];
    let pending = '';
    child.stdout!.on('data', (c: Buffer) => {
      pending += c.toString();
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const text = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        try {
          lines.push(JSON.parse(text) as Record<string, unknown>);
        } catch {
          // not a log line
        }
      }
    });
    const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setInterval(() => {
        const line = lines.find((l) => l.msg === 'ready');
        if (line) {
          clearInterval(timer);
          resolve(line);
        }
      }, 50);
      child.once('exit', (code) => {
        clearInterval(timer);
        reject(new Error(`imapscope exited with ${code} before ready: ${stderr}`));
      });
    });
    const practice = ready.practice as { user: string; password: string };
    const [host, port] = String(ready.listen).split(':') as [string, string];

    // Resolves once the greeting came through imapscope from the practice server.
    const imap = await rawSession(host, Number(port));
    const login = await imap.command('a1', `LOGIN ${practice.user} ${practice.password}`);
    expect(login.at(-1)).toMatch(/^a1 OK/);
    const logout = await imap.command('a2', 'LOGOUT');
    expect(logout.at(-1)).toMatch(/^a2 OK/);
    imap.close();

    // The viewer and the API description come from the installed package's files.
    const url = new URL(String(ready.url));
    const token = url.searchParams.get('token')!;
    const auth = { headers: { authorization: `Bearer ${token}` } };
    const page = await fetch(`${url.origin}/?token=${token}`);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<div id="root">/);
    const openapi = await fetch(`${url.origin}/api/openapi.json`, auth);
    expect(openapi.status).toBe(200);
    expect(((await openapi.json()) as { openapi: string }).openapi).toMatch(/^3\./);

    // The inspection thread (dist/proxy/inspection/thread.js) decoded the LOGIN.
    let user: unknown;
    for (let i = 0; i < 100 && user === undefined; i++) {
      const res = await fetch(`${url.origin}/api/sessions`, auth);
      const rows = (await res.json()) as { user?: string | null }[];
      user = rows.find((r) => r.user)?.user ?? undefined;
      if (user === undefined) await new Promise((r) => setTimeout(r, 100));
    }
    expect(user).toBe(practice.user);

    // SIGTERM to npx and imapscope alike (one process group): imapscope shuts down cleanly.
    // 'close' comes when every holder of the output pipe, imapscope too, has gone.
    const exited = new Promise<void>((r) => child.once('close', () => r()));
    process.kill(-child.pid!, 'SIGTERM');
    await exited;
    expect(lines.map((l) => l.msg)).toContain('stopped');
  });
});
