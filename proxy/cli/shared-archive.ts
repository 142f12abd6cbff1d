/** The shared PostgreSQL archive for the subcommands that read it (export, audit, stats). */
import type { PgArchive } from '../archive/pg-archive.ts';
import { maskArchiveUrl } from '../archive/store.ts';
import { ImapscopeError } from '../errors.ts';

/**
 * Connects to --archive (its migrations run, as at start; no retention from a subcommand).
 * A database that cannot be reached is one line naming the flag, the password masked.
 */
export async function openSharedArchive(url: string, instance: string): Promise<PgArchive> {
  // Loaded only when asked for: the SQLite default does not pay for pg at start.
  const { PgArchive } = await import('../archive/pg-archive.ts');
  try {
    return await PgArchive.open(url, { instance });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ERR_ARCHIVE_VERSION') throw err;
    throw new ImapscopeError(
      'ERR_CONFIG_INVALID',
      `--archive ${maskArchiveUrl(url)}: ${e.code ?? ''} ${e.message}`.replace(/\s+/g, ' ').trim(),
    );
  }
}
