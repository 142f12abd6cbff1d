/**
 * Debian's Chromium driven by playwright-core for the viewer's end-to-end tests and figures,
 * and a check that the viewer is built (viewer/dist) from its current sources.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { REPO_ROOT } from '../helpers/imapscope.ts';

export const CHROMIUM = process.env.IMAPSCOPE_CHROMIUM ?? '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: apt-get install chromium (the viewer's browser tests)`,
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}

const VIEWER = path.join(REPO_ROOT, 'viewer');
const DIST_INDEX = path.join(VIEWER, 'dist', 'index.html');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    if (name === 'dist' || name === 'node_modules') continue;
    const p = path.join(dir, name);
    const st = statSync(p);
    newest = Math.max(newest, st.isDirectory() ? newestMtime(p) : st.mtimeMs);
  }
  return newest;
}

/**
 * Builds viewer/dist when it is missing or older than viewer/ or shared/ (npm ci builds it via
 * `prepare`; this covers edits since). Parallel test files take turns through a lock directory.
 * The hub must be started after this: it serves viewer/dist only if it exists at start.
 */
export function ensureViewerBuilt(): void {
  const lock = path.join(VIEWER, '.build-lock');
  const fresh = (): boolean =>
    existsSync(DIST_INDEX) &&
    statSync(DIST_INDEX).mtimeMs >=
      Math.max(newestMtime(VIEWER), newestMtime(path.join(REPO_ROOT, 'shared')));
  if (fresh()) return;
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`viewer build lock ${lock} held too long`);
      execFileSync('sleep', ['0.5']);
    }
  }
  try {
    if (!fresh()) {
      execFileSync(
        process.execPath,
        [
          path.join(REPO_ROOT, 'node_modules/vite/bin/vite.js'),
          'build',
          '--config',
          'viewer/vite.config.ts',
          '--logLevel',
          'warn',
        ],
        {
          cwd: REPO_ROOT,
          stdio: 'inherit',
          // vitest sets NODE_ENV=test, which would make React's development build: StrictMode
          // then mounts the console twice, and an extra empty session shows in the list.
          env: { ...process.env, NODE_ENV: 'production' },
        },
      );
    }
  } finally {
    rmdirSync(lock);
  }
}
