/**
 * Protocol lints: each has a stable code (shared/events.ts LINT_CODES), a one-line title, a
 * paragraph for a learner and the RFC section. Pure functions: the tracker decides when a lint
 * applies, these decide what it says.
 */
import type { Direction } from '../../shared/direction.ts';
import type { EventBody, ImapState, LintEvent } from '../../shared/events.ts';
import { commandReference, RESPONSE_CODE_REFERENCE } from '../../shared/imap-reference.ts';
import type { Command, TaggedResponse } from '../../shared/messages.ts';
import type { TransportNotice } from '../../shared/transport-events.ts';

/** Largest `{n+}` literal a LITERAL- server accepts (RFC 7888 §4). */
export const LITERAL_MINUS_MAX = 4096;

/** A lint without the event's base fields. */
export type Lint = EventBody<LintEvent>;

const STATE_NAMES: Record<ImapState, string> = {
  'not-authenticated': 'not authenticated',
  authenticated: 'authenticated',
  selected: 'selected',
  logout: 'logout',
};

/** Commands people type from other protocols (POP3, SMTP, FTP), with what IMAP uses instead. */
const LOOKALIKES: Record<string, { instead: string; rfc: string }> = {
  QUIT: { instead: 'LOGOUT', rfc: 'RFC 3501 §6.1.3 / RFC 9051 §6.1.3' },
  EXIT: { instead: 'LOGOUT', rfc: 'RFC 3501 §6.1.3 / RFC 9051 §6.1.3' },
  BYE: { instead: 'LOGOUT', rfc: 'RFC 3501 §6.1.3 / RFC 9051 §6.1.3' },
  USER: { instead: 'LOGIN user password', rfc: 'RFC 3501 §6.2.3 / RFC 9051 §6.2.3' },
  PASS: { instead: 'LOGIN user password', rfc: 'RFC 3501 §6.2.3 / RFC 9051 §6.2.3' },
  HELO: { instead: 'CAPABILITY', rfc: 'RFC 3501 §6.1.1 / RFC 9051 §6.1.1' },
  EHLO: { instead: 'CAPABILITY', rfc: 'RFC 3501 §6.1.1 / RFC 9051 §6.1.1' },
  RETR: { instead: 'FETCH n BODY[]', rfc: 'RFC 3501 §6.4.5 / RFC 9051 §6.4.5' },
  DELE: {
    instead: 'STORE n +FLAGS (\\Deleted) then EXPUNGE',
    rfc: 'RFC 3501 §6.4.6 / RFC 9051 §6.4.6',
  },
  STAT: { instead: 'STATUS mailbox (MESSAGES)', rfc: 'RFC 3501 §6.3.10 / RFC 9051 §6.3.11' },
};

const fullName = (cmd: Command): string => (cmd.uid ? `UID ${cmd.name}` : cmd.name);

/**
 * A command the reference does not know, linted when the server answered it BAD (a server may
 * implement private commands; its OK is the last word). QUIT, USER, HELO… get what IMAP says
 * instead.
 */
export function unknownCommand(cmd: Command, seq: number): Lint {
  const like = LOOKALIKES[cmd.name];
  return {
    type: 'lint',
    severity: 'warning',
    code: 'LINT_UNKNOWN_COMMAND',
    title: `${cmd.name} is not an IMAP command`,
    explanation: like
      ? `"${cmd.name}" comes from another protocol (POP3, SMTP or FTP); IMAP has no such command, so the server answered BAD. To do this in IMAP, send ${like.instead}.`
      : `"${cmd.name}" is not a command of IMAP4rev1/IMAP4rev2 nor of an extension in the IANA registry that imapscope knows, and the server answered BAD, so it does not know it either. A private extension works only with a server that announces it in CAPABILITY.`,
    rfc: like ? like.rfc : 'RFC 3501 §6 / RFC 9051 §6',
    relatedSeq: seq,
  };
}

/** A command sent in a state that does not allow it (FETCH before SELECT). */
export function invalidState(cmd: Command, state: ImapState, seq: number): Lint | null {
  const ref = commandReference(cmd.name);
  if (ref === undefined || ref.states.includes(state)) return null;
  const where = ref.states.map((s) => STATE_NAMES[s]).join(' or ');
  const hint =
    state === 'logout'
      ? 'The session is over: after LOGOUT (or a BYE) the server accepts nothing more.'
      : state === 'not-authenticated'
        ? 'Log in first (LOGIN or AUTHENTICATE).'
        : state === 'authenticated' && ref.states.includes('selected')
          ? 'Open a mailbox first with SELECT or EXAMINE.'
          : ref.states.includes('not-authenticated')
            ? 'It is only allowed before logging in.'
            : '';
  return {
    type: 'lint',
    severity: 'error',
    code: 'LINT_COMMAND_INVALID_STATE',
    title: `${fullName(cmd)} is not valid in the ${STATE_NAMES[state]} state`,
    explanation:
      `${fullName(cmd)} is only valid in the ${where} state, and the session is ${STATE_NAMES[state]} when it arrives, so the server should refuse it with BAD (or NO). ${hint}`.trim(),
    rfc: `${ref.rfc}; states: RFC 3501 §3 / RFC 9051 §3`,
    relatedSeq: seq,
  };
}

export function tagReused(cmd: Command, seq: number): Lint {
  return {
    type: 'lint',
    severity: 'warning',
    code: 'LINT_TAG_REUSED',
    title: `tag ${cmd.tag} reused while a command with it is still running`,
    explanation: `Each command gets a tag so its completion can be matched to it. A command tagged ${cmd.tag} is still waiting for its tagged response, so when "${cmd.tag} OK" arrives nobody can tell which of the two it answers. Use a fresh tag for every command (A1, A2, A3…).`,
    rfc: 'RFC 3501 §2.2.1 / RFC 9051 §2.2.1',
    relatedSeq: seq,
  };
}

export function unknownTag(res: TaggedResponse, seq: number): Lint {
  return {
    type: 'lint',
    severity: 'warning',
    code: 'LINT_UNKNOWN_TAG',
    title: `completion for tag ${res.tag}, which no running command has`,
    explanation: `The server completed a command tagged ${res.tag}, but the client sent no command with that tag (or it was already completed). A tagged response must echo the tag of a command in progress; an untagged response would start with "*".`,
    rfc: 'RFC 3501 §2.2.2 / RFC 9051 §2.2.2',
    relatedSeq: seq,
  };
}

export function cleartextLogin(cmd: Command, seq: number): Lint {
  const mech = cmd.name === 'AUTHENTICATE' ? argText(cmd, 0).toUpperCase() : '';
  const weak = cmd.name === 'LOGIN' || ['PLAIN', 'LOGIN', 'XOAUTH2', 'OAUTHBEARER'].includes(mech);
  return {
    type: 'lint',
    severity: weak ? 'warning' : 'info',
    code: 'LINT_CLEARTEXT_LOGIN',
    title: `${cmd.name === 'LOGIN' ? 'LOGIN' : `AUTHENTICATE ${mech}`} over an unencrypted connection`,
    explanation: weak
      ? 'The credentials travel in readable form (base64 is not encryption): anyone on the path can take them. Use STARTTLS first, or connect with implicit TLS (port 993).'
      : `The connection is not encrypted. ${mech} does not send the password itself, but everything after login (mail included) is readable on the path. Use STARTTLS or implicit TLS.`,
    rfc: 'RFC 3501 §6.2.3, §11.1 / RFC 9051 §6.2.3, §11.1',
    relatedSeq: seq,
  };
}

export function loginDisabled(seq: number): Lint {
  return {
    type: 'lint',
    severity: 'error',
    code: 'LINT_LOGIN_DISABLED',
    title: 'LOGIN sent although the server advertised LOGINDISABLED',
    explanation:
      'The server said (capability LOGINDISABLED) that it will not accept LOGIN on this connection, usually because it is not encrypted. Start TLS first; afterwards LOGIN is normally allowed.',
    rfc: 'RFC 3501 §6.2.3, §7.2.1 / RFC 9051 §6.2.3',
    relatedSeq: seq,
  };
}

export function literalNotSynchronized(cmd: Command, seq: number, hasLiteralPlus: boolean): Lint {
  return {
    type: 'lint',
    severity: 'error',
    code: 'LINT_LITERAL_NOT_SYNCHRONIZED',
    title: `${fullName(cmd)}: literal sent before the server's "+"`,
    explanation: `A synchronizing literal {n} announces n bytes, and the client must wait for the server's "+" before sending them, so the server can refuse a literal it does not want. This client sent the bytes straight away. ${hasLiteralPlus ? 'The server has LITERAL+: announce the literal as {n+} to skip the wait.' : 'The server has no LITERAL+, so it may read the literal as commands.'}`,
    rfc: 'RFC 3501 §7.5, §4.3 / RFC 9051 §7.6, §4.3; RFC 7888',
    relatedSeq: seq,
  };
}

export function nonsyncUnsupported(cmd: Command, seq: number): Lint {
  return {
    type: 'lint',
    severity: 'error',
    code: 'LINT_NONSYNC_LITERAL_UNSUPPORTED',
    title: `${fullName(cmd)}: non-synchronizing literal {n+} without LITERAL+`,
    explanation:
      'A {n+} literal is sent without waiting for "+", which only a server announcing LITERAL+ (or LITERAL- for literals up to 4096 bytes) accepts. This server announced neither: use {n} and wait for "+".',
    rfc: 'RFC 7888 §3, §4',
    relatedSeq: seq,
  };
}

/** LITERAL- (RFC 7888 §4) allows `{n+}` only up to 4096 bytes; larger ones must be `{n}`. */
export function literalMinusTooLarge(cmd: Command, seq: number, size: number): Lint {
  return {
    type: 'lint',
    severity: 'error',
    code: 'LINT_LITERAL_MINUS_TOO_LARGE',
    title: `${fullName(cmd)}: non-synchronizing literal of ${size} bytes under LITERAL-`,
    explanation: `The server announced LITERAL- (not LITERAL+), which accepts {n+} only for literals of at most ${LITERAL_MINUS_MAX} bytes. A larger one must be sent as {n} and wait for "+"; the server will answer BAD (or close the connection) and may read the literal's bytes as commands.`,
    rfc: 'RFC 7888 §4, §5',
    relatedSeq: seq,
  };
}

/** A line ended in LF without CR (flagged once per direction and session). */
export function bareLf(direction: Direction, seq: number): Lint {
  const who = direction === 'c2s' ? 'The client' : 'The server';
  return {
    type: 'lint',
    severity: 'warning',
    code: 'LINT_BARE_LF',
    title: `${who} ended a line with a bare LF instead of CRLF`,
    explanation: `IMAP lines end with CR LF. ${who} sent a line ending in LF alone; imapscope reads it, but a strict peer may not, may wait for more, or may take the LF as part of the data. Further bare LFs in this direction are not flagged again.`,
    rfc: 'RFC 3501 §2.2 / RFC 9051 §2.2',
    relatedSeq: seq,
  };
}

/** The upstream ended the connection without a BYE (died, restarted, or dropped us). */
export function upstreamClosed(lastServerSeq: number | null): Lint {
  return {
    type: 'lint',
    severity: 'error',
    code: 'LINT_UPSTREAM_CLOSED',
    title: 'The upstream closed the connection without BYE',
    explanation:
      "A server that ends a session says so first with an untagged BYE (with LOGOUT, or with a reason such as a shutdown). This upstream closed the connection without one, here, after its last response: it was probably killed, crashed or restarted, or a network device between dropped the connection. Commands still waiting for an answer were aborted. The client has to reconnect; check the server's logs for what happened at this time.",
    rfc: 'RFC 3501 §7.1.5 / RFC 9051 §7.1.5',
    relatedSeq: lastServerSeq,
  };
}

/** An untagged EXPUNGE when none may be sent (RFC 9051 §7.5.1). */
export function expungeNotAllowed(noCommand: boolean, seq: number): Lint {
  return {
    type: 'lint',
    severity: 'error',
    code: 'LINT_EXPUNGE_NOT_ALLOWED',
    title: noCommand
      ? 'EXPUNGE sent while no command was in progress'
      : 'EXPUNGE sent during FETCH, STORE or SEARCH',
    explanation:
      'An EXPUNGE renumbers every message after the expunged one, so the server may send it only while a command is in progress, and never while answering FETCH, STORE or SEARCH (their message numbers would change under the client). The UID forms (UID FETCH, UID STORE, UID SEARCH) allow it, since UIDs do not change; so does NOOP or IDLE.',
    rfc: 'RFC 3501 §7.4.1 / RFC 9051 §7.5.1',
    relatedSeq: seq,
  };
}

/** A command pipelined behind STARTTLS before the server's answer (RFC 9051 §6.2.1). */
export function startTlsInjection(cmd: Command, seq: number): Lint {
  return {
    type: 'lint',
    severity: 'error',
    code: 'LINT_STARTTLS_INJECTION',
    title: `${fullName(cmd)} sent after STARTTLS, before the server answered it`,
    explanation:
      'A client must wait for the answer to STARTTLS and send nothing until the TLS handshake is done. Plaintext pipelined behind STARTTLS is the classic command-injection attack: a server that buffers it would run it as if it had come inside TLS. imapscope passes TLS through here, so these bytes went to the server.',
    rfc: 'RFC 3501 §6.2.1 / RFC 9051 §6.2.1; RFC 2595 §3.1',
    relatedSeq: seq,
  };
}

/** More commands in flight than MAX_IN_FLIGHT_COMMANDS: the excess is not paired. */
export function tooManyInFlight(cap: number): Lint {
  return {
    type: 'lint',
    severity: 'warning',
    code: 'LINT_TOO_MANY_IN_FLIGHT',
    title: `more than ${cap} commands in flight: the excess is not paired`,
    explanation: `The client pipelined more than ${cap} commands without waiting for their completions. imapscope still forwards and shows every byte, but pairs only the first ${cap} commands in flight with their responses (a cap that keeps its work bounded); responses to the rest are shown unpaired and no longer linted as unknown tags.`,
    rfc: 'RFC 3501 §5.5 / RFC 9051 §5.5',
    relatedSeq: null,
  };
}

function argText(cmd: Command, i: number): string {
  const t = cmd.args[i];
  if (t === undefined) return '';
  if (t.type === 'atom' || t.type === 'quoted' || t.type === 'sequence-set') return t.value;
  return t.type === 'number' ? String(t.value) : '';
}

/** Extensions folded into IMAP4rev2 (RFC 9051 §1.3): a rev2 server offers them unannounced. */
const IN_IMAP4REV2 = new Set([
  'NAMESPACE',
  'UNSELECT',
  'UIDPLUS',
  'ESEARCH',
  'SEARCHRES',
  'ENABLE',
  'IDLE',
  'SASL-IR',
  'LIST-EXTENDED',
  'LIST-STATUS',
  'MOVE',
  'LITERAL-',
  'BINARY',
  'SPECIAL-USE',
  'STATUS=SIZE',
]);

/** Whether the (upper-case) capability list announces the command's extension. */
function announces(capabilities: readonly string[], ref: { capability: string | null }): boolean {
  const cap = ref.capability;
  if (cap === null) return true;
  if (IN_IMAP4REV2.has(cap) && capabilities.includes('IMAP4REV2')) return true;
  // THREAD=, AUTH=, CONTEXT=SEARCH with CONTEXT=SORT, COMPRESS=DEFLATE: any value of the family.
  const family = cap.includes('=') ? cap.slice(0, cap.indexOf('=') + 1) : null;
  return capabilities.some((c) => c === cap || (family !== null && c.startsWith(family)));
}

/**
 * Why the server answered BAD. `cmd` is null when the tag matched no command. The analysis looks
 * at the command: unknown name, an extension the server did not announce (`capabilities`, upper
 * case; empty when unknown), wrong state, too few arguments, else the generic meaning of BAD.
 */
export function explainBad(
  cmd: Command | null,
  res: TaggedResponse,
  stateAtCommand: ImapState,
  seq: number,
  capabilities: readonly string[] = [],
): Lint {
  const base = {
    type: 'lint',
    severity: 'error',
    code: 'LINT_COMPLETION_BAD',
    relatedSeq: seq,
  } as const;
  const said = res.text ? ` The server said: "${res.text}".` : '';
  if (cmd === null) {
    return {
      ...base,
      title: `BAD for tag ${res.tag}`,
      explanation: `The server rejected something it could not match to a command.${said}`,
      rfc: 'RFC 3501 §7.1.3 / RFC 9051 §7.1.3',
    };
  }
  const name = fullName(cmd);
  const ref = commandReference(cmd.name);
  if (ref === undefined) {
    const u = unknownCommand(cmd, seq);
    return { ...u, explanation: u.explanation + said };
  }
  if (ref.capability !== null && capabilities.length > 0 && !announces(capabilities, ref)) {
    return {
      ...base,
      title: `BAD: ${name} needs the ${ref.capability} capability`,
      explanation: `${name} belongs to an extension that a server offers by announcing ${ref.capability} in CAPABILITY, and this server did not announce ${ref.capability}, so it does not know the command. Ask CAPABILITY (again after login or STARTTLS) before using an extension.${said}`,
      rfc: ref.rfc,
    };
  }
  if (!ref.states.includes(stateAtCommand)) {
    const s = invalidState(cmd, stateAtCommand, seq);
    if (s)
      return { ...base, title: `BAD: ${s.title}`, explanation: s.explanation + said, rfc: s.rfc };
  }
  if (cmd.args.length < ref.minArgs) {
    const got =
      cmd.args.length === 0
        ? 'no arguments'
        : `only ${cmd.args.length} argument${cmd.args.length === 1 ? '' : 's'}`;
    const example =
      cmd.name === 'FETCH'
        ? ` Say what to fetch after the set, e.g. "${cmd.tag} ${name} ${argText(cmd, 0) || '1:3'} (FLAGS ENVELOPE)" or a macro (ALL, FAST, FULL).`
        : '';
    return {
      ...base,
      title: `BAD: ${name} needs ${ref.args}`,
      explanation: `${name} takes ${ref.args} (at least ${ref.minArgs} argument${ref.minArgs === 1 ? '' : 's'}) but was sent with ${got}, so the server could not parse it.${example}${said}`,
      rfc: ref.rfc,
    };
  }
  return {
    ...base,
    title: `BAD: the server could not parse ${name}`,
    explanation: `BAD means a protocol error: the server did not understand the command's arguments (syntax, quoting, an unsupported option or an extension not enabled). The syntax is: ${name} ${ref.args}.${said}`,
    rfc: ref.rfc,
  };
}

/** Why the server answered NO: the response code's meaning when there is one, else by command. */
export function explainNo(cmd: Command | null, res: TaggedResponse, seq: number): Lint {
  const name = cmd ? fullName(cmd) : `tag ${res.tag}`;
  const codeRef = res.code ? RESPONSE_CODE_REFERENCE.get(res.code.name.toUpperCase()) : undefined;
  const said = res.text ? ` The server said: "${res.text}".` : '';
  const byCommand: Record<string, string> = {
    LOGIN: 'The user name or password was refused (or this account may not log in here).',
    AUTHENTICATE:
      'The SASL exchange failed: wrong credentials, a disabled mechanism, or a cancelled exchange.',
    SELECT:
      'The mailbox could not be opened: it may not exist or may not be accessible. A failed SELECT also closes the mailbox that was open.',
    EXAMINE:
      'The mailbox could not be opened: it may not exist or may not be accessible. A failed EXAMINE also closes the mailbox that was open.',
    CREATE: 'The mailbox could not be created: the name may exist already or be invalid.',
    APPEND: 'The message was not stored; with [TRYCREATE] the target mailbox does not exist yet.',
  };
  const why = codeRef
    ? `[${codeRef.name}]: ${codeRef.summary}`
    : ((cmd && byCommand[cmd.name]) ??
      'NO means the command was understood but could not be carried out.');
  return {
    type: 'lint',
    severity: 'warning',
    code: 'LINT_COMPLETION_NO',
    title: `NO: ${name} failed`,
    explanation: `${why}${said}`,
    rfc: codeRef
      ? `${codeRef.rfc}; RFC 3501 §7.1.2 / RFC 9051 §7.1.2`
      : ((cmd && commandReference(cmd.name)?.rfc) ?? 'RFC 3501 §7.1.2 / RFC 9051 §7.1.2'),
    relatedSeq: seq,
  };
}

const NOTICES: Record<
  TransportNotice['code'],
  { code: Lint['code']; severity: Lint['severity']; explanation: string; rfc: string }
> = {
  STARTTLS_INJECTION: {
    code: 'LINT_STARTTLS_INJECTION',
    severity: 'error',
    explanation:
      'Bytes arrived in plain text after STARTTLS was accepted and before the TLS handshake. An attacker on the path can use this to slip commands or responses into the session that later look as if they came over TLS; imapscope dropped them. A correct peer sends nothing between the OK and the handshake.',
    rfc: 'RFC 3501 §6.2.1 / RFC 9051 §6.2.1; RFC 2595 §3.1',
  },
  STARTTLS_PASSTHROUGH: {
    code: 'LINT_STARTTLS_PASSTHROUGH',
    severity: 'info',
    explanation:
      'The client and the server started TLS end to end and imapscope is not a party to it (--client-tls none), so from here the bytes are encrypted and cannot be shown. Run imapscope with --client-tls starttls to see inside.',
    rfc: 'RFC 3501 §6.2.1 / RFC 9051 §6.2.1',
  },
  STARTTLS_REFUSED: {
    code: 'LINT_STARTTLS_REFUSED',
    severity: 'error',
    explanation:
      'imapscope asked the upstream server for STARTTLS (--upstream-tls starttls) and the server refused, so the upstream leg cannot be protected as configured.',
    rfc: 'RFC 3501 §6.2.1 / RFC 9051 §6.2.1',
  },
  COMPRESS_CORRUPT: {
    code: 'LINT_COMPRESS_CORRUPT',
    severity: 'error',
    explanation:
      'A compressed direction could not be inflated (corrupt DEFLATE data, or bytes lost before inspection), so imapscope stops showing this session. The relay itself forwards the bytes unchanged.',
    rfc: 'RFC 4978 §4',
  },
  NO_GREETING: {
    code: 'LINT_NO_GREETING',
    severity: 'warning',
    explanation:
      'An IMAP server speaks first: its greeting (* OK, * PREAUTH or * BYE) comes as soon as the connection is made. This upstream accepted the connection and said nothing. The usual cause is a port that expects TLS from the first byte (993): run imapscope with --upstream-tls implicit. A server that is overloaded or a firewall that holds the connection open looks the same.',
    rfc: 'RFC 3501 §7.1 / RFC 9051 §7.1; RFC 8314 §3.3',
  },
};

/** The lint for a transport notice from the net layer. */
export function transportNotice(n: TransportNotice, seq: number | null): Lint {
  const row = NOTICES[n.code];
  return {
    type: 'lint',
    severity: row.severity,
    code: row.code,
    title: n.message,
    explanation: row.explanation,
    rfc: row.rfc,
    relatedSeq: seq,
  };
}
