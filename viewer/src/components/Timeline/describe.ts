/**
 * One line of text per event, as the timeline shows it. Secrets are already masked in the
 * events (the proxy redacts before any sink), so raw text is shown as it is.
 */
import type { ImapscopeEvent } from '../../../../shared/events.ts';
import { assertNever } from '../../../../shared/events.ts';
import { STATE_LABELS } from '../../format.ts';

export function firstLine(raw: string): string {
  const nl = raw.indexOf('\r\n');
  const line = nl < 0 ? raw : raw.slice(0, nl);
  return nl < 0 ? line : `${line} …`;
}

export function describe(e: ImapscopeEvent): string {
  switch (e.type) {
    case 'session.open':
      return `connection from ${e.client.host}:${e.client.port} to ${e.upstream.host}:${e.upstream.port}`;
    case 'session.close':
      return `connection closed (${e.reason}) in state ${STATE_LABELS[e.state]}; ${e.bytes.c2s} bytes up, ${e.bytes.s2c} down`;
    case 'session.facts':
      return `facts: ${e.state}`;
    case 'message':
      return firstLine(e.message.raw);
    case 'malformed':
      return `malformed (${e.message.code}): ${e.message.reason} — ${firstLine(e.message.raw)}`;
    case 'exchange':
      return `${e.tag} ${e.command} → ${e.status}`;
    case 'state.change':
      return `${STATE_LABELS[e.from]} → ${STATE_LABELS[e.to]}${e.mailbox ? ` (${e.mailbox}${e.readOnly ? ', read-only' : ''})` : ''}${e.cause.command ? ` by ${e.cause.tag ?? ''} ${e.cause.command}` : ` by ${e.cause.text}`}`;
    case 'lint':
      return `${e.title}`;
    case 'gap':
      return `inspection fell behind: ${e.droppedChunks} chunks (${e.droppedBytes} bytes) ${e.direction} not inspected (they were forwarded)`;
    case 'tls.established':
      return `TLS on the ${e.leg} leg (${e.via}): ${e.protocol ?? '?'} ${e.cipher ?? ''}`;
    case 'compress.started':
      return `COMPRESS=${e.algorithm} on from here (tag ${e.tag})`;
    default:
      return assertNever(e);
  }
}
