/**
 * The parts of hoodiecrow-imap 2.1.0 (plain CommonJS, no types of its own)
 * that the practice server uses. Shapes follow lib/server.js and the
 * imap-handler 0.1 response objects it compiles.
 */
declare module 'hoodiecrow-imap' {
  import type { Server, Socket } from 'node:net';

  /** One stored message. `raw` is a binary (latin1) string: one char per byte. */
  export interface HoodiecrowMessage {
    raw: string;
    flags?: string[];
    /** IMAP date-time (`01-Sep-2025 09:15:00 +0000`); a Date is formatted in local time. */
    internaldate?: string | Date;
    uid?: number;
  }

  /** A mailbox; hoodiecrow fills in path, uidnext, flags and the rest at start. */
  export interface HoodiecrowMailbox {
    messages?: HoodiecrowMessage[];
    folders?: Record<string, HoodiecrowMailbox>;
    flags?: string[];
    'special-use'?: string | string[];
    uidvalidity?: number;
    subscribed?: boolean;
  }

  /** A namespace root (key `""` for the personal one); the INBOX key holds a mailbox. */
  export interface HoodiecrowNamespace extends HoodiecrowMailbox {
    separator?: string;
    type?: 'personal' | 'user' | 'shared';
  }

  export type HoodiecrowStorage = Record<string, HoodiecrowNamespace>;

  /** An imap-handler node: ATOM, STRING, TEXT, SECTION, LITERAL, SEQUENCE… */
  export interface ImapNode {
    type: string;
    value?: string;
    section?: ImapAttribute[];
  }
  export type ImapAttribute = ImapNode | ImapAttribute[] | string | number | null;

  /** A command as imap-handler parsed it (`command` is e.g. `UID FETCH`). */
  export interface ParsedCommand {
    tag: string;
    command: string;
    attributes?: ImapAttribute[];
  }

  /** A response for `connection.send`, compiled by imap-handler. */
  export interface ImapResponse {
    tag: string;
    command?: string;
    attributes?: ImapAttribute[];
    skipResponse?: boolean;
  }

  export interface HoodiecrowConnection {
    server: HoodiecrowServer;
    socket: Socket | null;
    state: 'Not Authenticated' | 'Authenticated' | 'Selected';
    /** The selected mailbox was opened with EXAMINE. */
    readOnly?: boolean;
    /** When set, every input line goes here instead of the command parser. */
    inputHandler: ((line: string) => void) | false;
    /** When true, notifications (EXISTS, EXPUNGE) are written at once, not held for the next tagged reply. */
    directNotifications: boolean;
    send(
      response: ImapResponse,
      description: string,
      parsed: ParsedCommand | null,
      data: string,
      ...extra: unknown[]
    ): void;
    processNotifications(data?: ParsedCommand): void;
    /** Parses one complete command (literals included, as a binary string) and queues it. */
    scheduleCommand(data: string): void;
  }

  /** `callback` must be called exactly once, or the connection's command queue stalls. */
  export type CommandHandler = (
    connection: HoodiecrowConnection,
    parsed: ParsedCommand,
    data: string,
    callback: () => void,
  ) => void;

  export type HoodiecrowPlugin = string | ((server: HoodiecrowServer) => void);

  export interface HoodiecrowOptions {
    plugins?: HoodiecrowPlugin[];
    storage?: HoodiecrowStorage;
    users?: Record<string, { password: string }>;
    /** Server fields for the ID response. */
    id?: Record<string, string>;
    /** Pipes every socket to process.stdout and console.logs: never set it here. */
    debug?: boolean;
  }

  export interface HoodiecrowServer {
    /** The underlying net.Server. */
    server: Server;
    storage: HoodiecrowStorage;
    listen(port: number, host: string, callback?: () => void): void;
    close(callback?: (err?: Error) => void): void;
    registerCapability(
      keyword: string,
      available?: (connection: HoodiecrowConnection) => boolean,
    ): void;
    setCommandHandler(command: string, handler: CommandHandler): void;
    getCommandHandler(command: string): CommandHandler | false;
    /** Called with every response before it is compiled; may rewrite it or set skipResponse. */
    outputHandlers: OutputHandler[];
    /** Called with each new connection, before any of its input is read. */
    connectionHandlers: ((connection: HoodiecrowConnection) => void)[];
  }

  export type OutputHandler = (
    connection: HoodiecrowConnection,
    response: ImapResponse,
    description: string,
    parsed: ParsedCommand | null,
    data: string,
    ...extra: unknown[]
  ) => void;

  export default function hoodiecrow(options?: HoodiecrowOptions): HoodiecrowServer;
}
