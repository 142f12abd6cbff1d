/**
 * What was imported already: a content hash per import, kept in the archive beside the
 * sessions, so importing the same file again (or the other half of a rawlog pair, which hashes
 * the same) is refused instead of making a duplicate session. A row whose session retention
 * has deleted since no longer counts.
 */
import { createHash } from 'node:crypto';

/** SHA-256 of the parts, each length-prefixed so ('ab','c') and ('a','bc') differ. */
export function contentHash(kind: string, parts: readonly Buffer[]): string {
  const h = createHash('sha256').update(kind);
  for (const p of parts) h.update(`\n${p.length}\n`).update(p);
  return h.digest('hex');
}

export { earlierImport, recordImport } from '../archive/imports.ts';
