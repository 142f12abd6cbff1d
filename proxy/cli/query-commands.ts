/**
 * Questions across sessions, answered from the archive in --data (read-only; they work while
 * imapscope runs), or with --archive postgres://… from the shared PostgreSQL one:
 *
 *   imapscope audit [--user U] [--client HOST[:PORT]] [--mailbox M] [--kind K] [--session ID]
 *                   [--since T] [--until T] [--limit N] [--format table|jsonl|csv]
 *   imapscope grep FILTER [--session ID] [--limit N] [--format table|jsonl|csv]   (grep-command.ts)
 *   imapscope stats [--since T] [--until T] [--user U] [--upstream HOST:PORT]
 *                   [--by upstream|user] [--format table|jsonl|csv]
 *
 * T is an ISO 8601 date or time (2026-12-01, 2026-12-01T10:00Z) or an age (30m, 12h, 7d).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { AUDIT_KINDS, isAuditKind } from '../../shared/audit.ts';
import type { AuditAction, AuditFilter } from '../../shared/audit.ts';
import { toJson } from '../../shared/protocol.ts';
import type { ArchiveReader } from '../archive/store.ts';
import type { Backfillable } from '../archive/backfill.ts';
import { openSharedArchive } from './shared-archive.ts';
import type { CommandStats } from '../archive/stats.ts';
import { resolveConfig } from '../config.ts';
import type { RawOptions, RawSwitches } from '../config.ts';
import { ImapscopeError } from '../errors.ts';

export const FORMATS = ['table', 'jsonl', 'csv'] as const;
type Format = (typeof FORMATS)[number];

export function fail(message: string): never {
  throw new ImapscopeError('ERR_CONFIG_INVALID', message);
}

/** An ISO date/time or an age before `now` (`90s`, `30m`, `12h`, `7d`); ms since the epoch. */
export function parseTime(flag: string, value: string, now = Date.now()): number {
  const age = /^(\d+)([smhd])$/.exec(value);
  if (age) {
    const unit = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3 }[age[2] as 's' | 'm' | 'h' | 'd'];
    return now - Number(age[1]) * unit;
  }
  const t = Date.parse(value);
  if (!/^\d{4}-\d\d-\d\d/.test(value) || Number.isNaN(t)) {
    fail(`${flag} ${value}: use an ISO date or time (2026-12-01T10:00Z) or an age (30m, 12h, 7d)`);
  }
  return t;
}

/** The reads the query subcommands make (audit, stats, grep). */
export type CliReader = Pick<
  ArchiveReader,
  | 'queryActions'
  | 'commandStats'
  | 'querySessions'
  | 'getSession'
  | 'sessionEvents'
  | 'narrowSessions'
> &
  Pick<Backfillable, 'underivedSessions'> & { close(): Promise<void> };

/**
 * The archive to ask: with --archive the shared PostgreSQL one, else the SQLite file in
 * --data opened read-only (both answer the same questions, store.ts). The archive's readers
 * load here, as better-sqlite3 does in openDb, so that `imapscope --help` (and a run) goes
 * without them.
 */
export async function openReader(cmd: Command): Promise<CliReader> {
  const config = resolveConfig(cmd.optsWithGlobals<RawOptions & RawSwitches>(), process.env);
  if (config.archiveUrl !== null) return openSharedArchive(config.archiveUrl, config.instance);
  const [db, { queryActions }, { commandStats }, read, { underivedSessions }] = await Promise.all([
    openDb(config.dataDir),
    import('../archive/actions.ts'),
    import('../archive/stats.ts'),
    import('../archive/read.ts'),
    import('../archive/sqlite-backfill.ts'),
  ]);
  return {
    // An archive from before the audit trail, not opened by this imapscope yet, has no table.
    queryActions: (f) => Promise.resolve(hasTable(db, 'actions') ? queryActions(db, f) : []),
    commandStats: (f) => Promise.resolve(commandStats(db, f)),
    querySessions: (f, only) => Promise.resolve(read.querySessions(db, f, only)),
    getSession: (id) => Promise.resolve(read.getSession(db, id)),
    sessionEvents: (id, after, limit) => Promise.resolve(read.sessionEvents(db, id, after, limit)),
    narrowSessions: (ids, condition) => Promise.resolve(read.narrowSessions(db, ids, condition)),
    underivedSessions: () => Promise.resolve(underivedSessions(db)),
    close: () => Promise.resolve(void db.close()),
  };
}

function hasTable(db: Awaited<ReturnType<typeof openDb>>, name: string): boolean {
  return db.prepare(`SELECT 1 FROM sqlite_master WHERE name = ?`).get(name) !== undefined;
}

/** The SQLite archive in --data, read-only. better-sqlite3 loads here: `--help` goes without. */
async function openDb(dataDir: string) {
  const { ARCHIVE_FILE, openArchiveDb } = await import('../archive/schema.ts');
  const file = join(dataDir, ARCHIVE_FILE);
  if (!existsSync(file)) fail(`no archive at ${file} (is --data right?)`);
  return openArchiveDb(file, { readonly: true });
}

export function format(value: string): Format {
  if (!(FORMATS as readonly string[]).includes(value)) fail(`--format: use ${FORMATS.join(', ')}`);
  return value as Format;
}

const csvCell = (v: unknown): string => {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** Rows as an aligned text table, CSV with a header, or one JSON object per line. */
export function print(rows: Record<string, unknown>[], columns: string[], fmt: Format): void {
  const out = process.stdout;
  if (fmt === 'jsonl') {
    for (const r of rows) out.write(toJson(r) + '\n');
    return;
  }
  if (fmt === 'csv') {
    out.write(columns.join(',') + '\n');
    for (const r of rows) out.write(columns.map((c) => csvCell(r[c])).join(',') + '\n');
    return;
  }
  const cells = rows.map((r) => columns.map((c) => (r[c] === null ? '' : String(r[c] ?? ''))));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const line = (vals: string[]): string =>
    vals.map((v, i) => (i === vals.length - 1 ? v : v.padEnd(widths[i]!))).join('  ') + '\n';
  out.write(line(columns));
  for (const row of cells) out.write(line(row));
  if (rows.length === 0) out.write('(none)\n');
}

const AUDIT_COLUMNS = [
  'time',
  'user',
  'client',
  'kind',
  'status',
  'mailbox',
  'target',
  'detail',
  'session',
  'seq',
];

function auditRow(a: AuditAction): Record<string, unknown> {
  return { ...a, time: new Date(a.at).toISOString() };
}

const STATS_COLUMNS = [
  'command',
  'group',
  'count',
  'ok',
  'no',
  'bad',
  'aborted',
  'p50',
  'p95',
  'p99',
  'max',
];

function statsRow(s: CommandStats): Record<string, unknown> {
  const ms = (v: number | null): string | null => (v === null ? null : v < 1 ? '<1' : v.toFixed(0));
  return { ...s, p50: ms(s.p50), p95: ms(s.p95), p99: ms(s.p99), max: ms(s.max) };
}

export function addQueryCommands(program: Command): void {
  program
    .command('audit')
    .description(
      'list what users did (logins, reads, flag changes, copies, moves, expunges, appends, ' +
        'mailbox changes), newest first, from the archive',
    )
    .option('--user <user>', 'only this user')
    .option('--client <host[:port]>', 'only connections from this address')
    .option('--mailbox <name>', 'only actions in or on this mailbox')
    .option('--kind <kind>', `only this kind: ${AUDIT_KINDS.join(', ')}`)
    .option('--session <id>', 'only this session')
    .option('--since <time>', 'from this time (ISO 8601) or age (30m, 12h, 7d)')
    .option('--until <time>', 'before this time')
    .option('--limit <n>', 'at most this many actions', '1000')
    .option('--format <format>', `one of ${FORMATS.join(', ')}`, 'table')
    .action(async (opts: Record<string, string | undefined>, cmd: Command) => {
      const fmt = format(opts.format ?? 'table');
      if (opts.kind !== undefined && !isAuditKind(opts.kind)) {
        fail(`--kind ${opts.kind}: use one of ${AUDIT_KINDS.join(', ')}`);
      }
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1)
        fail(`--limit ${opts.limit}: use a positive whole number`);
      const filter: AuditFilter = {
        ...(opts.user !== undefined && { user: opts.user }),
        ...(opts.client !== undefined && { client: opts.client }),
        ...(opts.mailbox !== undefined && { mailbox: opts.mailbox }),
        ...(opts.kind !== undefined && { kind: opts.kind as AuditFilter['kind'] }),
        ...(opts.session !== undefined && { session: opts.session }),
        ...(opts.since !== undefined && { since: parseTime('--since', opts.since) }),
        ...(opts.until !== undefined && { until: parseTime('--until', opts.until) }),
      };
      const db = await openReader(cmd);
      try {
        // Sessions an earlier imapscope archived have no actions until they are backfilled.
        const underived = await db.underivedSessions();
        if (underived > 0) {
          process.stderr.write(
            `imapscope: ${underived} sessions archived by an earlier imapscope are not in the ` +
              'audit trail yet: imapscope backfill (or starting imapscope) derives them\n',
          );
        }
        // The archive pages by API_PAGE_MAX; follow the pages up to --limit.
        const rows: AuditAction[] = [];
        while (rows.length < limit) {
          const last = rows[rows.length - 1];
          const page = await db.queryActions({
            ...filter,
            limit: limit - rows.length,
            ...(last && { before: { at: last.at, session: last.session, seq: last.seq } }),
          });
          rows.push(...page);
          if (page.length === 0) break;
        }
        print(rows.map(auditRow), AUDIT_COLUMNS, fmt);
      } finally {
        await db.close();
      }
    });
  program
    .command('stats')
    .description(
      'latency statistics per command from the archive: count, NO/BAD, p50/p95/p99/max in ms',
    )
    .option('--since <time>', 'from this time (ISO 8601) or age (30m, 12h, 7d)')
    .option('--until <time>', 'before this time')
    .option('--user <user>', 'only sessions of this user')
    .option('--upstream <host:port>', 'only sessions to this upstream')
    .option('--by <group>', 'also group by upstream or user')
    .option('--format <format>', `one of ${FORMATS.join(', ')}`, 'table')
    .action(async (opts: Record<string, string | undefined>, cmd: Command) => {
      const fmt = format(opts.format ?? 'table');
      if (opts.by !== undefined && opts.by !== 'upstream' && opts.by !== 'user') {
        fail(`--by ${opts.by}: use upstream or user`);
      }
      const db = await openReader(cmd);
      try {
        const rows = await db.commandStats({
          ...(opts.since !== undefined && { since: parseTime('--since', opts.since) }),
          ...(opts.until !== undefined && { until: parseTime('--until', opts.until) }),
          ...(opts.user !== undefined && { user: opts.user }),
          ...(opts.upstream !== undefined && { upstream: opts.upstream }),
          ...(opts.by !== undefined && { by: opts.by as 'upstream' | 'user' }),
        });
        const columns = opts.by ? STATS_COLUMNS : STATS_COLUMNS.filter((c) => c !== 'group');
        print(rows.map(statsRow), columns, fmt);
      } finally {
        await db.close();
      }
    });
}
