import type { ExportFormat } from '../../api.ts';
import { exportUrl } from '../../api.ts';
import {
  formatBytes,
  formatDateTime,
  formatDuration,
  formatTime,
  STATE_LABELS,
} from '../../format.ts';
import type { AppStore } from '../../state/app-store.ts';
import type { SessionModel } from '../../state/session-model.ts';

const EXPORTS: [ExportFormat, string, string][] = [
  ['jsonl', 'JSONL', 'Every event, one JSON object per line'],
  ['transcript', 'Transcript', 'C:/S: lines with timestamps, secrets masked'],
  ['pcapng', 'pcapng', 'For Wireshark: the plaintext IMAP streams as TCP'],
];

/** Who, where, how it is going, and the export buttons. */
export function SessionBar({ store, model }: { store: AppStore; model: SessionModel }) {
  const row = store.list.get(model.id);
  const f = model.facts;
  const tls = model.tls.map((t) => `${t.leg} ${t.protocol ?? 'TLS'}`).join(', ');
  return (
    <div className="session-bar" data-testid="session-bar">
      <span className={`pill state-${model.state}`} data-testid="current-state">
        {STATE_LABELS[model.state]}
      </span>
      {row?.endedAt === null ? <span className="pill live">live</span> : null}
      <span className="facts">
        {row ? (
          <>
            <span title="client → upstream server">
              <b className="mono">{row.client}</b> → <b className="mono">{row.upstream}</b>
            </span>
            <span>
              user <b>{f?.user ?? row.user ?? '–'}</b>
            </span>
            <span title={formatDateTime(row.startedAt)}>
              {formatTime(row.startedAt).slice(0, 8)}
            </span>
            {row.endedAt !== null ? (
              <span>{formatDuration(row.endedAt - row.startedAt)}</span>
            ) : null}
            <span>
              ↑ {formatBytes(row.bytesC2s)} ↓ {formatBytes(row.bytesS2c)}
            </span>
          </>
        ) : null}
        {f?.mailbox ? (
          <span>
            mailbox <b>{f.mailbox}</b>
            {f.exists !== null ? ` (${f.exists} messages)` : ''}
          </span>
        ) : null}
        <span>
          <b>{model.row.exchangeCount}</b> exchanges ·{' '}
          <b style={{ color: model.row.noCount ? 'var(--no)' : undefined }}>{model.row.noCount}</b>{' '}
          NO ·{' '}
          <b style={{ color: model.row.badCount ? 'var(--bad)' : undefined }}>
            {model.row.badCount}
          </b>{' '}
          BAD · <b>{model.row.lintCount}</b> lints
          {model.row.gapCount > 0 ? (
            <span title="Inspection gaps (--inspection best-effort): bytes relayed that inspection never saw">
              {' '}
              · <b style={{ color: 'var(--bad)' }}>{model.row.gapCount}</b> gaps (
              {formatBytes(model.row.gapBytes)})
            </span>
          ) : null}
        </span>
        {tls ? <span>TLS: {tls}</span> : null}
        {model.compress ? <span>⇲ DEFLATE</span> : null}
      </span>
      <span className="spacer" />
      <span className="exports">
        {EXPORTS.map(([format, label, title]) => (
          <a
            key={format}
            className="button"
            href={exportUrl(model.id, format, store.token)}
            download
            title={title}
            data-testid={`export-${format}`}
          >
            ⤓ {label}
          </a>
        ))}
      </span>
    </div>
  );
}
