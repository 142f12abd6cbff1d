#!/usr/bin/env node
// Development entry: registers tsx so the TypeScript sources run as they are (`npm run dev`,
// and every test that spawns imapscope). The installed command is bin/imapscope.js, which runs
// the compiled build in dist/.
import { register } from 'tsx/esm/api';

register();
await import('./cli/main.ts');
