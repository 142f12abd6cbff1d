import { ImapFlow } from 'imapflow';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useDovecot } from '../helpers/dovecot.ts';
import { startImapscope, type Imapscope, type LogLine } from '../helpers/imapscope.ts';
import { converse } from '../helpers/raw-imap.ts';

// A password no other log field could contain by accident.
const PASSWORD = 'Mask-me-7f3c9a1e';

const dovecot = useDovecot({ extraUsers: [{ user: 'masked', password: PASSWORD }] });

/** imapscope at debug level in front of this file's Dovecot, started by the test itself. */
function debugScopeOverDovecot(...args: string[]): Promise<Imapscope> {
  const { host, port } = dovecot();
  return startImapscope(['--upstream', `${host}:${port}`, '--log-level', 'debug', ...args]);
}

/** Everything a sink wrote: every log line except "ready" (the operator's own contract), and stderr. */
function sinkOutput(scope: Imapscope): string {
  return (
    JSON.stringify(scope.logs.filter((l) => l.msg !== 'ready')) +
    scope.stderr +
    scope.nonJsonLines.join('\n')
  );
}

/** Every byte the data directory holds (the archive's database and its journal included). */
function dataDirBytes(dir: string): Buffer {
  const parts: Buffer[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) parts.push(readFileSync(path.join(entry.parentPath, entry.name)));
  }
  return Buffer.concat(parts);
}

/** The spellings of the secret a log could leak: plain, and in SASL PLAIN / LOGIN base64. */
function spellings(user: string, password: string): string[] {
  return [
    password,
    Buffer.from(`\0${user}\0${password}`).toString('base64'),
    Buffer.from(password).toString('base64'),
  ];
}

async function sessionsClosed(scope: Imapscope, n: number): Promise<void> {
  await scope.waitForLog(
    () => scope.logs.filter((l) => l.msg === 'session close').length >= n,
    15_000,
  );
  // The tracker publishes after the relay's close line; give the event loop a turn to flush logs.
  await new Promise((r) => setTimeout(r, 300));
}

async function loginEveryWay(scope: Imapscope, user: string, password: string): Promise<void> {
  // LOGIN with an atom, a quoted string, and literals.
  await converse(scope.listen.host, scope.listen.port, [`LOGIN ${user} ${password}`, 'LOGOUT']);
  await converse(scope.listen.host, scope.listen.port, [`LOGIN "${user}" "${password}"`, 'LOGOUT']);
  await converse(scope.listen.host, scope.listen.port, [
    `LOGIN {${user.length}+}\r\n${user} {${password.length}+}\r\n${password}`,
    'LOGOUT',
  ]);
  // AUTHENTICATE PLAIN with SASL-IR (imapflow's way), plus a wrong password (NO).
  const c = new ImapFlow({
    host: scope.listen.host,
    port: scope.listen.port,
    secure: false,
    doSTARTTLS: false,
    auth: { user, pass: password },
    logger: false,
  });
  await c.connect();
  await c.logout();
  await converse(scope.listen.host, scope.listen.port, [`LOGIN ${user} ${password}x`, 'LOGOUT']);
  // Issue 11 finding 4: a 300 KiB literal and a LOGIN behind it in one client write.
  const message = `Subject: big\r\n\r\n${`${'x'.repeat(98)}\r\n`.repeat(3072)}`;
  await converse(scope.listen.host, scope.listen.port, [
    `LOGIN ${user} ${password}`,
    `APPEND INBOX {${message.length}+}\r\n${message}\r\na9 LOGIN ${user} ${password}`,
    'LOGOUT',
  ]);
}

describe('credentials are masked in every sink', () => {
  it('no sink shows the password of LOGIN (atom, quoted, literal, behind a 300 KiB literal) or AUTHENTICATE PLAIN at debug level', async () => {
    const scope = await debugScopeOverDovecot();
    try {
      await loginEveryWay(scope, 'masked', PASSWORD);
      await sessionsClosed(scope, 6);
      const out = sinkOutput(scope);
      // The conversation was inspected (debug message lines exist and show the mask).
      expect(
        scope.logs.some(
          (l: LogLine) => l.msg === 'message' && /LOGIN masked \*{16}/.test(String(l.raw)),
        ),
      ).toBe(true);
      expect(scope.logs.some((l) => l.msg === 'exchange' && l.command === 'AUTHENTICATE')).toBe(
        true,
      );
      for (const secret of spellings('masked', PASSWORD)) expect(out).not.toContain(secret);
      // The archive (and anything else written to the data directory) holds no password either.
      await new Promise((r) => setTimeout(r, 1500));
      const stored = dataDirBytes(scope.dataDir);
      for (const secret of spellings('masked', PASSWORD))
        expect(stored.includes(secret)).toBe(false);
    } finally {
      await scope.stop();
    }
  });

  it('shows the password with --reveal-secrets', async () => {
    const scope = await debugScopeOverDovecot('--reveal-secrets');
    try {
      await converse(scope.listen.host, scope.listen.port, [`LOGIN masked ${PASSWORD}`, 'LOGOUT']);
      await sessionsClosed(scope, 1);
      expect(sinkOutput(scope)).toContain(PASSWORD);
    } finally {
      await scope.stop();
    }
  });

  it("masks imapflow's AUTHENTICATE PLAIN against the built-in practice server", async () => {
    const scope = await startImapscope(['--log-level', 'debug']);
    try {
      const practice = scope.readyLine.practice as { user: string; password: string };
      const c = new ImapFlow({
        host: scope.listen.host,
        port: scope.listen.port,
        secure: false,
        doSTARTTLS: false,
        auth: { user: practice.user, pass: practice.password },
        logger: false,
      });
      await c.connect();
      await c.logout();
      await sessionsClosed(scope, 1);
      // imapflow sends the PLAIN response on the command line (SASL-IR) or as a SASL line.
      const auth = scope.logs.find(
        (l) => l.msg === 'message' && /AUTHENTICATE PLAIN/i.test(String(l.raw)),
      );
      const sasl = scope.logs.find((l) => l.msg === 'message' && l.kind === 'sasl-response');
      expect(String(sasl?.raw ?? auth?.raw)).toMatch(/(?:^|AUTHENTICATE PLAIN )\*+$/i);
      expect(
        scope.logs.some(
          (l) => l.msg === 'exchange' && l.command === 'AUTHENTICATE' && l.status === 'OK',
        ),
      ).toBe(true);
      // The practice password is the word "practice", which names the upstream in other lines:
      // look for it in the session's events, and for its base64 spellings everywhere.
      const [plain, ...encoded] = spellings(practice.user, practice.password);
      // (The server's own ID response names "imapscope practice server": client lines only.)
      const events = scope.logs.filter(
        (l) => l.direction === 'c2s' || l.msg === 'exchange' || String(l.msg).startsWith('lint'),
      );
      expect(events.length).toBeGreaterThan(3);
      expect(JSON.stringify(events)).not.toContain(plain);
      for (const secret of encoded) expect(sinkOutput(scope)).not.toContain(secret);
    } finally {
      await scope.stop();
    }
  });
});
