#!/usr/bin/env node
// The `imapscope` command (package.json "bin"): runs the compiled build in dist/, which
// `npm ci` / `npm install` make (the "prepare" script) and `npm run build` remakes.
// proxy/imapscope.mjs runs the TypeScript sources through tsx instead (`npm run dev`).
import { existsSync } from 'node:fs';
import { URL } from 'node:url';

const main = new URL('../dist/proxy/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write(
    'imapscope: no compiled build in dist/ (run `npm run build`, or `npm run dev` to run the sources)\n',
  );
  process.exit(1);
}
await import(main.href);
