/**
 * imapscope instances sharing one PostgreSQL archive (test/helpers/postgres.ts), set up as
 * docs/deploy.md says: the URL without its password in IMAPSCOPE_ARCHIVE, the password in
 * PGPASSWORD, each instance with its own --instance name.
 */
import type pg from 'pg';
import type { ImapscopeEvent } from '../../shared/events.ts';
import { startImapscope, type Imapscope } from './imapscope.ts';

/** The database URL without its password: the instances get that from PGPASSWORD. */
export function bareUrl(url: string): string {
  const x = new URL(url);
  x.password = '';
  return x.toString();
}

export function urlPassword(url: string): string {
  return decodeURIComponent(new URL(url).password);
}

/** Starts instance `name` on the archive at `url`, relaying to `upstream` (HOST:PORT). */
export function startArchiveInstance(
  url: string,
  upstream: string,
  name: string,
  args: string[] = [],
): Promise<Imapscope> {
  return startImapscope(['--upstream', upstream, '--instance', name, ...args], {
    IMAPSCOPE_ARCHIVE: bareUrl(url),
    PGPASSWORD: urlPassword(url),
  });
}

/**
 * Those of `events` (as a viewer received them) that are not in the shared archive's events
 * table: after a SIGKILL, what the killed instance had received but never written.
 */
export async function missingFromArchive(
  db: pg.Client,
  events: ImapscopeEvent[],
): Promise<ImapscopeEvent[]> {
  const stored = await db.query<{ session: string; seq: number }>(
    `SELECT session, seq FROM events WHERE session = ANY($1)`,
    [[...new Set(events.map((e) => e.session))]],
  );
  const have = new Set(stored.rows.map((r) => `${r.session}/${r.seq}`));
  return events.filter((e) => !have.has(`${e.session}/${e.seq}`));
}
