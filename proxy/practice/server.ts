/**
 * The built-in practice IMAP server ("the embedded default"): what imapscope
 * proxies to when no --upstream is given. A hoodiecrow-imap server on
 * loopback with the sample store, one account, and the extensions worth
 * seeing on the wire. It is for demos and learners, never for the proxy's
 * own integration tests (those run against Dovecot).
 */
import type { Socket } from 'node:net';

import hoodiecrow from 'hoodiecrow-imap';
import type { HoodiecrowPlugin } from 'hoodiecrow-imap';

import { ImapscopeError } from '../errors.ts';
import { hardenHoodiecrow } from './hardening.ts';
import type { CommandErrorListener } from './hardening.ts';
import { idlePlugin } from './idle.ts';
import { buildSampleStore } from './sample-store.ts';

/** User name of the practice account. */
export const PRACTICE_USER = 'learner';
/** Password of the practice account (it guards nothing: the server binds to loopback and holds sample mail). */
export const PRACTICE_PASSWORD = 'practice';

/**
 * Hoodiecrow plugins, in the order their capabilities are announced:
 * `IMAP4rev1 AUTH=PLAIN SASL-IR ID ENABLE IDLE NAMESPACE UNSELECT SPECIAL-USE LITERAL+ UIDPLUS MOVE`.
 * Left out on purpose: STARTTLS (hoodiecrow's bundled certificate expired in
 * February 2025, and learners should see plain text), CONDSTORE (partial:
 * no SEARCH MODSEQ, no notifications), XOAUTH2, X-GM-EXT-1, XTOYBIRD (admin
 * commands without login).
 */
const PLUGINS: HoodiecrowPlugin[] = [
  'AUTH-PLAIN',
  'SASL-IR',
  'ID',
  'ENABLE',
  idlePlugin,
  'NAMESPACE',
  'UNSELECT',
  'SPECIAL-USE',
  'LITERALPLUS',
  'UIDPLUS',
  'MOVE',
];

/** A running practice server. */
export interface PracticeServer {
  /** The address it listens on (as given; default 127.0.0.1). */
  host: string;
  /** The port it actually listens on (the kernel's choice when 0 was asked for). */
  port: number;
  user: string;
  password: string;
  /**
   * Stops listening and destroys every open connection (a proxied session
   * sees its upstream close). Resolves when the port is free. Calling it
   * again returns the same promise.
   */
  close(): Promise<void>;
}

export interface PracticeServerOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: an ephemeral port, reported in PracticeServer.port. */
  port?: number;
  /**
   * Called when a hoodiecrow command handler throws. The client gets
   * `NO [SERVERBUG]` and the session goes on; nothing is printed.
   */
  onCommandError?: CommandErrorListener;
}

/**
 * Starts a practice server with a fresh copy of the sample store; every
 * server has its own store, and changes last until close().
 *
 * @throws ImapscopeError `ERR_PRACTICE_SERVER` when it cannot listen (port in use, bad host).
 */
export async function startPracticeServer(
  opts: PracticeServerOptions = {},
): Promise<PracticeServer> {
  const host = opts.host ?? '127.0.0.1';
  const requestedPort = opts.port ?? 0;

  const imap = hoodiecrow({
    plugins: PLUGINS,
    storage: buildSampleStore(),
    users: { [PRACTICE_USER]: { password: PRACTICE_PASSWORD } },
    id: { name: 'imapscope practice server', vendor: 'hoodiecrow-imap' },
    // `debug` stays off: it pipes every socket to stdout, which carries imapscope's JSON logs.
  });
  hardenHoodiecrow(imap, opts.onCommandError);

  const sockets = new Set<Socket>();
  imap.server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  const port = await new Promise<number>((resolve, reject) => {
    const onListenError = (err: Error): void => {
      reject(
        new ImapscopeError(
          'ERR_PRACTICE_SERVER',
          `practice server cannot listen on ${host}:${requestedPort}: ${err.message}`,
          {
            cause: err,
          },
        ),
      );
    };
    imap.server.once('error', onListenError);
    imap.server.listen({ host, port: requestedPort }, () => {
      imap.server.off('error', onListenError);
      const address = imap.server.address();
      resolve(typeof address === 'object' && address ? address.port : requestedPort);
    });
  });
  // Past listen, a server error (rare: e.g. EMFILE on accept) must not crash imapscope.
  imap.server.on('error', () => {});

  let closing: Promise<void> | undefined;
  return {
    host,
    port,
    user: PRACTICE_USER,
    password: PRACTICE_PASSWORD,
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        imap.server.close((err) => (err ? reject(err) : resolve()));
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}
