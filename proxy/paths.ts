/**
 * Where imapscope's own files are. The same module runs from the sources (proxy/paths.ts, through
 * tsx in development and tests) and compiled (dist/proxy/paths.js, the installed command), one
 * directory deeper; every file outside proxy/ (package.json, docs/, viewer/dist/) is found from
 * here, never by counting `../` from another module.
 */
import { fileURLToPath } from 'node:url';

/** True when this process runs the compiled build in dist/ rather than the TypeScript sources. */
export const COMPILED = !import.meta.url.endsWith('.ts');

/** The package's root directory as a file URL ending in '/'. */
const ROOT = new URL(COMPILED ? '../../' : '../', import.meta.url);

/** A file URL for `relative` (e.g. 'docs/openapi.json') inside the package. */
export function packageUrl(relative: string): URL {
  return new URL(relative, ROOT);
}

/** A file path for `relative` (e.g. 'viewer/dist/') inside the package. */
export function packagePath(relative: string): string {
  return fileURLToPath(packageUrl(relative));
}
