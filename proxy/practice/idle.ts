/**
 * IDLE (RFC 2177) for the practice server, replacing hoodiecrow's own plugin,
 * which after DONE left the session in "direct notification" mode (EXISTS
 * and EXPUNGE then arrived at any moment, between commands) and kept a
 * 30-minute timer that held the process open after the connection was gone.
 */
import type { CommandHandler, HoodiecrowServer } from 'hoodiecrow-imap';

/** An IDLE longer than this ends with `* BYE` (RFC 2177 asks clients to re-IDLE within 29 minutes). */
export const IDLE_TIMEOUT_MS = 30 * 60 * 1000;

const idle: CommandHandler = (connection, parsed, data, callback) => {
  if (connection.state === 'Not Authenticated') {
    connection.send(
      { tag: parsed.tag, command: 'NO', attributes: [{ type: 'TEXT', value: 'Log in first' }] },
      'INVALID COMMAND',
      parsed,
      data,
    );
    return callback();
  }
  if (parsed.attributes) {
    connection.send(
      {
        tag: parsed.tag,
        command: 'BAD',
        attributes: [{ type: 'TEXT', value: 'IDLE takes no arguments' }],
      },
      'INVALID COMMAND',
      parsed,
      data,
    );
    return callback();
  }

  const timer = setTimeout(() => {
    if (!connection.socket || connection.socket.destroyed) return;
    connection.send(
      { tag: '*', command: 'BYE', attributes: [{ type: 'TEXT', value: 'IDLE timed out' }] },
      'IDLE EXPIRED',
      parsed,
      data,
    );
    connection.socket.end();
  }, IDLE_TIMEOUT_MS);
  timer.unref();

  // While idling, changes to the selected mailbox are written as they happen.
  connection.directNotifications = true;
  connection.inputHandler = (line) => {
    clearTimeout(timer);
    connection.inputHandler = false;
    connection.directNotifications = false;
    const done = line.toUpperCase() === 'DONE';
    connection.send(
      {
        tag: parsed.tag,
        command: done ? 'OK' : 'BAD',
        attributes: [
          { type: 'TEXT', value: done ? 'IDLE terminated' : 'Expected DONE to end IDLE' },
        ],
      },
      done ? 'IDLE' : 'INVALID IDLE',
      parsed,
      data,
    );
  };
  if (connection.socket && !connection.socket.destroyed) connection.socket.write('+ idling\r\n');
  connection.processNotifications();
  // The command queue moves on at once; input goes to inputHandler until DONE.
  return callback();
};

/** Hoodiecrow plugin: announces IDLE and handles it. */
export function idlePlugin(server: HoodiecrowServer): void {
  server.registerCapability('IDLE');
  server.setCommandHandler('IDLE', idle);
}
