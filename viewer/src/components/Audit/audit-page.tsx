import { useState } from 'react';
import { AUDIT_KINDS } from '../../../../shared/audit.ts';
import type { AuditAction } from '../../../../shared/audit.ts';
import { api } from '../../api.ts';
import { formatDateTime } from '../../format.ts';
import type { AppStore } from '../../state/app-store.ts';
import { useEmitter } from '../../state/emitter.ts';
import { fieldSetter, isoOf, TimeRange, useDebouncedQuery } from '../query-form.tsx';

/** Actions per page; "Load older" fetches the next page. */
export const AUDIT_PAGE = 500;

export interface AuditQuery {
  user: string;
  client: string;
  mailbox: string;
  kind: string;
  /** `datetime-local` values (local time), or ''. */
  since: string;
  until: string;
}

const EMPTY: AuditQuery = { user: '', client: '', mailbox: '', kind: '', since: '', until: '' };

function params(q: AuditQuery, before: AuditAction | null): Record<string, string> {
  return {
    user: q.user,
    client: q.client,
    mailbox: q.mailbox,
    kind: q.kind,
    since: isoOf(q.since),
    until: isoOf(q.until),
    limit: String(AUDIT_PAGE),
    before: before ? `${before.at}:${before.session}:${before.seq}` : '',
  };
}

/**
 * The audit trail (GET /api/audit): pick a user, client address, mailbox, kind or time range
 * and see the actions, newest first; each row opens its session at the command that caused it.
 */
export function AuditPage(props: {
  store: AppStore;
  onOpen: (session: string, seq: number) => void;
}) {
  const { store } = props;
  useEmitter(store.list.emitter);
  const [q, setQ] = useState<AuditQuery>(EMPTY);
  const load = (query: AuditQuery) =>
    api
      .audit(store.token, params(query, null))
      .then((page) => ({ rows: page, more: page.length === AUDIT_PAGE }));
  const { result, error, setResult, setError } = useDebouncedQuery(q, load, [store.token]);
  const rows = result?.rows ?? null;
  const more = result?.more ?? false;
  // Users seen in the session list, offered as the user box's suggestions.
  const users = [...new Set(store.list.list().flatMap((r) => (r.user ? [r.user] : [])))].sort();

  const loadOlder = (): void => {
    const last = rows?.[rows.length - 1] ?? null;
    void api.audit(store.token, params(q, last)).then(
      (page) =>
        setResult((r) => ({
          rows: [...(r?.rows ?? []), ...page],
          more: page.length === AUDIT_PAGE,
        })),
      (err: Error) => setError(err.message),
    );
  };
  const set = fieldSetter(setQ);

  return (
    <div className="list-page audit-page" data-testid="audit-page">
      <form className="filters query-form" onSubmit={(e) => e.preventDefault()}>
        <input
          type="search"
          placeholder="User"
          list="audit-users"
          value={q.user}
          onChange={set('user')}
          aria-label="User"
          data-testid="audit-user"
        />
        <datalist id="audit-users">
          {users.map((u) => (
            <option key={u} value={u} />
          ))}
        </datalist>
        <input
          type="search"
          placeholder="Client host[:port]"
          value={q.client}
          onChange={set('client')}
          aria-label="Client address"
        />
        <input
          type="search"
          placeholder="Mailbox"
          value={q.mailbox}
          onChange={set('mailbox')}
          aria-label="Mailbox"
        />
        <select value={q.kind} onChange={set('kind')} aria-label="Kind" data-testid="audit-kind">
          <option value="">All actions</option>
          {AUDIT_KINDS.map((k) => (
            <option key={k} value={k}>
              {k}
            </option>
          ))}
        </select>
        <TimeRange since={q.since} until={q.until} onSince={set('since')} onUntil={set('until')} />
        <span className="muted" data-testid="audit-count">
          {rows === null ? 'loading…' : `${rows.length}${more ? '+' : ''} actions`}
        </span>
      </form>
      {error ? <div className="panel muted">{error}</div> : null}
      <table className="sessions audit" data-testid="audit-table">
        <thead>
          <tr>
            <th>Time</th>
            <th className="wide">User</th>
            <th className="wide">Client</th>
            <th>Action</th>
            <th className="wide">Mailbox</th>
            <th className="wide">Messages</th>
            <th>Detail</th>
          </tr>
        </thead>
        <tbody>
          {(rows ?? []).map((a) => (
            <tr
              key={`${a.session}/${a.seq}`}
              className={a.status === 'OK' ? undefined : 'failed'}
              onClick={() => props.onOpen(a.session, a.commandSeq)}
              title="Open the session at this command"
              data-kind={a.kind}
              data-status={a.status}
              data-testid="audit-row"
            >
              <td className="mono">{formatDateTime(a.at)}</td>
              <td className="wide">{a.user ?? '–'}</td>
              <td className="wide mono">{a.client}</td>
              <td>
                <span className={`pill kind-${a.kind}`}>{a.kind}</span>{' '}
                {a.status === 'OK' ? null : <span className={`badge ${a.status}`}>{a.status}</span>}
              </td>
              <td className="wide">
                {a.mailbox ?? ''}
                {a.target ? ` → ${a.target}` : ''}
              </td>
              <td className="wide mono">{messages(a)}</td>
              <td className="detail">
                <a
                  href={`#/session/${encodeURIComponent(a.session)}/at/${a.commandSeq}`}
                  onClick={(e) => e.stopPropagation()}
                  data-testid="audit-open"
                >
                  {a.detail}
                </a>
                <span className="narrow muted">
                  {[
                    a.user,
                    a.mailbox && (a.target ? `${a.mailbox} → ${a.target}` : a.mailbox),
                    a.client,
                  ]
                    .filter(Boolean)
                    .join(' · ')}
                </span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {rows !== null && rows.length === 0 ? (
        <p className="muted">No actions match. The audit trail needs the archive.</p>
      ) : null}
      {more ? (
        <button type="button" onClick={loadOlder}>
          Load older
        </button>
      ) : null}
    </div>
  );
}

/** UIDs and the subjects the traffic showed, short. */
function messages(a: AuditAction): string {
  const subjects = a.messages
    .map((m) => m.subject)
    .filter((s): s is string => s !== null)
    .slice(0, 2);
  const uids = a.uids ?? '';
  return [uids, ...subjects.map((s) => `“${s}”`)].filter(Boolean).join(' · ');
}
