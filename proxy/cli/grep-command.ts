/**
 * The display filter (docs/filter.md) over the archive, read-only: the SQLite file in --data,
 * or with --archive postgres://… the shared PostgreSQL one (every instance's sessions):
 *
 *   imapscope grep FILTER [--session ID] [--limit N] [--format table|jsonl|csv]
 *
 * Without --session: the sessions with a match (newest first) and how many rows match in each.
 * With --session: that session's matching rows (exchanges by their command, inline events).
 */
import type { Command } from 'commander';
import type { Filter } from '../../shared/filter.ts';
import type { FilterSubject } from '../../shared/filter-match.ts';
import { ImapscopeError } from '../errors.ts';
import { FORMATS, fail, format, openReader, print } from './query-commands.ts';

/**
 * A filter from the command line, or a usage error naming the column of the mistake. The
 * filter's parser and the archive's readers load when the command runs, not at the top, so
 * that `imapscope --help` (and a run) goes without them.
 */
async function filterArgument(text: string): Promise<Filter> {
  const { parseFilter } = await import('../../shared/filter.ts');
  const r = parseFilter(text);
  if (r.ok) return r.filter;
  throw new ImapscopeError(
    'ERR_CONFIG_INVALID',
    `filter ${JSON.stringify(text)}, column ${r.error.start + 1}: ${r.error.message} (see docs/filter.md)`,
  );
}

const firstLine = (s: string): string => s.split(/\r?\n/, 1)[0] ?? '';

/** One matching row as printed. */
function matchRow(session: string, s: FilterSubject): Record<string, unknown> {
  const x = s.exchange;
  const m = s.command ?? s.messages[0];
  return {
    session,
    seq: s.seq,
    time: x ? new Date(x.at).toISOString() : null,
    tag: s.command?.tag ?? null,
    line: m ? firstLine(m.raw) : s.lint ? `${s.lint.code}: ${s.lint.title}` : '',
    status: s.command ? (x?.status ?? 'pending') : null,
    latencyMs: x?.latencyMs ?? null,
  };
}

export function addGrepCommand(program: Command): void {
  program
    .command('grep')
    .description(
      'find exchanges matching a display filter (docs/filter.md), e.g. ' +
        `'cmd:FETCH status:NO latency>100ms': the sessions that hold a match, or with ` +
        '--session the matching exchanges of one session',
    )
    .argument('<filter>', 'a display filter; quote it for the shell')
    .option('--session <id>', "list this session's matching exchanges")
    .option('--limit <n>', 'at most this many sessions (or rows with --session)', '100')
    .option('--format <format>', `one of ${FORMATS.join(', ')}`, 'table')
    .action(async (text: string, opts: Record<string, string | undefined>, cmd: Command) => {
      const fmt = format(opts.format ?? 'table');
      const filter = await filterArgument(text);
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1) {
        fail(`--limit ${opts.limit}: use a positive whole number`);
      }
      const [reader, { sessionMatches, sessionsMatching }] = await Promise.all([
        openReader(cmd),
        import('../archive/filter.ts'),
      ]);
      try {
        if (opts.session !== undefined) {
          if (!(await reader.getSession(opts.session))) {
            fail(`--session ${opts.session}: no such session`);
          }
          const rows = await sessionMatches(reader, opts.session, filter, limit);
          print(
            rows.map((s) => matchRow(opts.session!, s)),
            ['seq', 'time', 'tag', 'status', 'latencyMs', 'line'],
            fmt,
          );
          return;
        }
        const found = await sessionsMatching(reader, filter, { limit });
        print(
          found.map(({ session: r, matches }) => ({
            session: r.id,
            started: new Date(r.startedAt).toISOString(),
            user: r.user,
            client: r.client,
            upstream: r.upstream,
            matches,
          })),
          ['session', 'started', 'user', 'client', 'upstream', 'matches'],
          fmt,
        );
      } finally {
        await reader.close();
      }
    });
}
