/**
 * What the teaching reference says about an event: the command's entry for a command, the
 * response's (and its response code's) for a response.
 */
import type { ImapscopeEvent } from '../../../../shared/events.ts';
import type { CommandReference, ResponseReference } from '../../../../shared/imap-reference.ts';
import {
  commandReference,
  RESPONSE_CODE_REFERENCE,
  RESPONSE_REFERENCE,
} from '../../../../shared/imap-reference.ts';
import type { ResponseCode, UntaggedData } from '../../../../shared/messages.ts';

export interface Teaching {
  /** The command, when the event is one or answers one. */
  command: { name: string; ref: CommandReference | undefined } | null;
  response: { name: string; ref: ResponseReference | undefined } | null;
  code: { name: string; ref: ResponseReference | undefined } | null;
}

/** The reference name of an untagged response. */
export function untaggedName(d: UntaggedData): string {
  switch (d.kind) {
    case 'status':
      return d.status;
    case 'mailbox-status':
      return 'STATUS';
    case 'unknown':
      return d.name.toUpperCase();
    default:
      return d.kind.toUpperCase();
  }
}

function codeOf(code: ResponseCode | null): Teaching['code'] {
  if (!code) return null;
  return { name: code.name, ref: RESPONSE_CODE_REFERENCE.get(code.name.toUpperCase()) };
}

export function teachingFor(e: ImapscopeEvent | undefined, commandName: string | null): Teaching {
  const t: Teaching = {
    command: commandName ? { name: commandName, ref: commandReference(commandName) } : null,
    response: null,
    code: null,
  };
  if (!e || e.type !== 'message') return t;
  const m = e.message;
  const response = (name: string): Teaching['response'] => ({
    name,
    ref: RESPONSE_REFERENCE.get(name),
  });
  switch (m.type) {
    case 'command':
    case 'sasl-response':
    case 'idle-done':
      break;
    case 'greeting':
      t.response = response(m.status);
      t.code = codeOf(m.code);
      break;
    case 'tagged':
      t.response = response(m.status);
      t.code = codeOf(m.code);
      break;
    case 'untagged':
      t.response = response(untaggedName(m.data));
      if (m.data.kind === 'status') t.code = codeOf(m.data.code);
      break;
    case 'continuation':
      t.response = response('+');
      break;
  }
  return t;
}
