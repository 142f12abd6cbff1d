/**
 * The usual e2e arrangement: a private Dovecot, and the real `imapscope` command in front of
 * it (`--upstream` pointing at Dovecot's plain port), both started once per test file.
 */
import { ImapFlow, type ImapFlowOptions } from 'imapflow';
import { afterAll, beforeAll } from 'vitest';
import { startDovecot, type Dovecot, type DovecotOptions } from './dovecot.ts';
import { startImapscope, type Imapscope } from './imapscope.ts';

export interface ScopeOverDovecot {
  dovecot: Dovecot;
  scope: Imapscope;
}

export interface ScopeOverDovecotOptions {
  /** More imapscope flags, after `--upstream HOST:PORT` (so they may override it). */
  args?: string[];
  dovecot?: DovecotOptions;
}

/**
 * Starts Dovecot, then imapscope in front of it, in beforeAll; stops imapscope, then Dovecot,
 * in afterAll. The returned getter throws when called before beforeAll has run.
 */
export function useScopeOverDovecot(opts: ScopeOverDovecotOptions = {}): () => ScopeOverDovecot {
  let dovecot: Dovecot | undefined;
  let scope: Imapscope | undefined;
  beforeAll(async () => {
    dovecot = await startDovecot(opts.dovecot);
    scope = await startImapscope([
      '--upstream',
      `${dovecot.host}:${dovecot.port}`,
      ...(opts.args ?? []),
    ]);
  });
  afterAll(async () => {
    await scope?.stop();
    await dovecot?.stop();
  });
  return () => {
    if (!dovecot || !scope) {
      throw new Error('useScopeOverDovecot(): not started yet (use it inside a test)');
    }
    return { dovecot, scope };
  };
}

/** No STARTTLS, no COMPRESS: plain text on the wire, so the whole conversation is inspectable. */
export const PLAIN: Partial<ImapFlowOptions> = { doSTARTTLS: false, disableCompression: true };

/**
 * An imapflow client (not yet connected) for Dovecot's test user through imapscope, on
 * imapscope's plain listener; `extra` overrides or adds options.
 */
export function imapflowFor(
  scope: Imapscope,
  dovecot: Dovecot,
  extra: Partial<ImapFlowOptions> = {},
): ImapFlow {
  return new ImapFlow({
    host: scope.listen.host,
    port: scope.listen.port,
    secure: false,
    auth: { user: dovecot.user, pass: dovecot.password },
    logger: false,
    ...extra,
  });
}
