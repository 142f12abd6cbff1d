/**
 * Fixes for hoodiecrow-imap 2.1.0 behaviour that would mislead learners or
 * break the session, applied from outside (node_modules stays untouched).
 * Each fix is one function; hardenHoodiecrow applies them all.
 */
import type { CommandHandler, HoodiecrowServer, ImapResponse } from 'hoodiecrow-imap';

/** Told about a command handler that threw; `command` is e.g. `UID FETCH`. */
export type CommandErrorListener = (error: unknown, command: string) => void;

/** Applies every fix in this module to a server built but not yet listening. */
export function hardenHoodiecrow(
  imap: HoodiecrowServer,
  onCommandError?: CommandErrorListener,
): void {
  guardCommandHandlers(imap, onCommandError);
  refuseChangesToReadOnlyMailbox(imap);
  reportMissingMailboxWithNo(imap);
  keepResponseTextOnOneLine(imap);
  acceptBareStarSequenceSets(imap);
}

/**
 * Hoodiecrow catches a throwing handler, console.errors it and never calls
 * the handler's callback, so that connection stops processing commands.
 * Wrapping every handler keeps the session alive, answers `NO [SERVERBUG]`
 * and keeps stdout and stderr clean.
 */
export function guardCommandHandlers(imap: HoodiecrowServer, onError?: CommandErrorListener): void {
  const lookup = imap.getCommandHandler.bind(imap);
  imap.getCommandHandler = (command) => {
    const handler = lookup(command);
    if (!handler) return false;
    const guarded: CommandHandler = (connection, parsed, data, callback) => {
      let done = false;
      const finish = (): void => {
        if (done) return;
        done = true;
        callback();
      };
      try {
        handler(connection, parsed, data, finish);
      } catch (error) {
        onError?.(error, parsed.command);
        connection.send(
          {
            tag: parsed.tag,
            command: 'NO',
            attributes: [
              { type: 'SECTION', section: [{ type: 'ATOM', value: 'SERVERBUG' }] },
              { type: 'TEXT', value: `${parsed.command} failed inside the practice server` },
            ],
          },
          'SERVER ERROR',
          parsed,
          data,
        );
        finish();
      }
    };
    return guarded;
  };
}

/** Commands that change the selected mailbox itself (COPY only adds to another one). */
const CHANGES_SELECTED = /^(UID )?(STORE|EXPUNGE|MOVE)$/i;

/**
 * Hoodiecrow lets STORE, EXPUNGE and MOVE change a mailbox opened with EXAMINE, which RFC 3501
 * §6.3.2 makes read-only: a learner doing the console's "select a mailbox read-only" lesson
 * must see the server refuse them (`NO`), as Dovecot does.
 */
export function refuseChangesToReadOnlyMailbox(imap: HoodiecrowServer): void {
  const lookup = imap.getCommandHandler.bind(imap);
  imap.getCommandHandler = (command) => {
    const handler = lookup(command);
    if (!handler || !CHANGES_SELECTED.test(command)) return handler;
    const guarded: CommandHandler = (connection, parsed, data, callback) => {
      if (connection.state !== 'Selected' || connection.readOnly !== true) {
        return handler(connection, parsed, data, callback);
      }
      connection.send(
        {
          tag: parsed.tag,
          command: 'NO',
          attributes: [
            {
              type: 'TEXT',
              value: `${parsed.command} refused: the mailbox is read-only (EXAMINE)`,
            },
          ],
        },
        `${parsed.command} READ-ONLY`,
        parsed,
        data,
      );
      callback();
    };
    return guarded;
  };
}

/**
 * Hoodiecrow answers SELECT/EXAMINE/STATUS of a missing mailbox with BAD; RFC 3501
 * says NO (BAD is for malformed commands), and learners should see the
 * right one: `NO [NONEXISTENT]` (RFC 5530).
 */
export function reportMissingMailboxWithNo(imap: HoodiecrowServer): void {
  imap.outputHandlers.push((_connection, response: ImapResponse, description) => {
    if (!/^(SELECT|EXAMINE|STATUS) FAILED$/.test(description) || response.command !== 'BAD') return;
    const text = response.attributes?.[0];
    if (
      typeof text !== 'object' ||
      text === null ||
      Array.isArray(text) ||
      text.value !== 'Invalid mailbox name'
    )
      return;
    response.command = 'NO';
    response.attributes = [
      { type: 'SECTION', section: [{ type: 'ATOM', value: 'NONEXISTENT' }] },
      { type: 'TEXT', value: 'No such mailbox' },
    ];
  });
}

/**
 * Some hoodiecrow handlers catch their own errors and answer with the
 * stack trace as response text (SEARCH SINCE with an impossible date does),
 * CRLFs included, which would break the line structure of the protocol.
 * Only the first line of any response text goes on the wire.
 */
export function keepResponseTextOnOneLine(imap: HoodiecrowServer): void {
  imap.outputHandlers.push((_connection, response: ImapResponse) => {
    for (const attribute of response.attributes ?? []) {
      if (typeof attribute !== 'object' || attribute === null || Array.isArray(attribute)) continue;
      if (
        attribute.type === 'TEXT' &&
        attribute.value !== undefined &&
        /[\r\n]/.test(attribute.value)
      ) {
        attribute.value = attribute.value.split(/[\r\n]/)[0] ?? '';
      }
    }
  });
}

/** Commands whose first argument is a sequence set (SEARCH: when its first criterion is one). */
const SEQUENCE_SET_COMMAND =
  /^(\S+ (?:UID )?(?:FETCH|STORE|COPY|MOVE|EXPUNGE|SEARCH) )([0-9:*,]+)(?= )/i;

/**
 * Rewrites a bare `*` in the first sequence set of a command line to the
 * equivalent `*:*`: imap-handler 0.1 throws "Unexpected whitespace" on
 * `FETCH * FLAGS` or `STORE 2,* ...` (it only accepts `*` as the end of a
 * range), although RFC 3501 allows it. Anything else is returned unchanged;
 * `LIST "" *` is not touched.
 */
export function normalizeSequenceSets(command: string): string {
  return command.replace(SEQUENCE_SET_COMMAND, (_all, head: string, set: string) => {
    const fixed = set
      .split(',')
      .map((item) => (item === '*' ? '*:*' : item))
      .join(',');
    return head + fixed;
  });
}

/** Installs normalizeSequenceSets in front of every connection's command parser. */
export function acceptBareStarSequenceSets(imap: HoodiecrowServer): void {
  imap.connectionHandlers.push((connection) => {
    const schedule = connection.scheduleCommand.bind(connection);
    connection.scheduleCommand = (data) => schedule(normalizeSequenceSets(data));
  });
}
