import type { ConnectionStatus as Status } from '../../connection.ts';

const LABELS: Record<Status, string> = {
  connecting: 'Connecting…',
  open: 'Live',
  reconnecting: 'Reconnecting…',
  unauthorized: 'Token missing or wrong',
};

/** The WebSocket's state: live, or reconnecting (with when it retries). */
export function ConnectionStatus({ status, detail }: { status: Status; detail: string | null }) {
  return (
    <span className="conn" data-testid="connection" data-status={status} title={detail ?? ''}>
      <span className={`dot ${status}`} />
      {LABELS[status]}
      {detail && status !== 'open' ? <span className="hint">({detail})</span> : null}
    </span>
  );
}
