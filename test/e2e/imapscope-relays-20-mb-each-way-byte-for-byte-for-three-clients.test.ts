/**
 * Byte identity through imapscope: for each real client, a session that moves more than
 * 20 MB each way, with what the client sent compared to what Dovecot received and what
 * Dovecot sent compared to what the client received (sha256 and length).
 *
 * Witnesses on the wire: a capturing hop between client and imapscope (the client's side)
 * and one between imapscope and Dovecot (the server's side); Dovecot's own rawlog checks the
 * server-side hop; imaplib also hashes its own traffic inside the client.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ImapFlow } from 'imapflow';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCaptureHop, type CaptureHop } from '../helpers/capture-hop.ts';
import { startDovecot, type Dovecot } from '../helpers/dovecot.ts';
import { readRawlogs } from '../helpers/dovecot-rawlog.ts';
import { startImapscope, type Imapscope } from '../helpers/imapscope.ts';
import { makeMessage, sha256 } from '../helpers/mail.ts';

const execFileAsync = promisify(execFile);
const IMAPLIB_CLIENT = fileURLToPath(new URL('../helpers/imaplib-client.py', import.meta.url));

/** Three messages of 7 MB: 21 MB up in APPENDs, 21 MB down in FETCHes. */
const MESSAGE_SIZES = [7_000_000, 7_000_001, 7_000_002];
const MIN_BYTES_EACH_WAY = 20_000_000;
const TIMEOUT_MS = 120_000;

interface Stack {
  dovecot: Dovecot;
  /** Between imapscope and Dovecot: what the server received and sent. Keeps the bytes. */
  serverSide: CaptureHop;
  scope: Imapscope;
  /** Between the client and imapscope: what the client sent and received. */
  clientSide: CaptureHop;
  tmp: string;
  messages: Buffer[];
  files: string[];
}

let stack: Stack;

beforeEach(async () => {
  const dovecot = await startDovecot({ rawlog: true });
  const serverSide = await startCaptureHop(dovecot, { keep: true });
  const scope = await startImapscope(['--upstream', `${serverSide.host}:${serverSide.port}`]);
  const clientSide = await startCaptureHop(scope.listen);
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'imapscope-bytes-'));
  const messages = MESSAGE_SIZES.map((size, i) => makeMessage(size, `large ${i + 1}`));
  const files = messages.map((_m, i) => path.join(tmp, `large-${i + 1}.eml`));
  await Promise.all(messages.map((m, i) => writeFile(files[i] as string, m)));
  stack = { dovecot, serverSide, scope, clientSide, tmp, messages, files };
});

afterEach(async () => {
  if (!stack) return;
  await stack.clientSide.stop();
  await stack.scope.stop();
  await stack.serverSide.stop();
  await stack.dovecot.stop();
  await rm(stack.tmp, { recursive: true, force: true });
});

/** Waits until Dovecot's rawlog of the session holds as many bytes as the server-side hop saw. */
async function serverRawlog(expectedOut: number): Promise<{ in: Buffer; out: Buffer[] }> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    // Skip the harness's start-up probes: they send nothing (plain) or only a TLS handshake.
    const sessions = (await readRawlogs(stack.dovecot)).filter((s) => s.in.length > 0);
    const login = sessions.filter(
      (s) => s.stage === 'login' && s.out.subarray(0, 5).toString('latin1') === '* OK ',
    );
    const imap = sessions.filter((s) => s.stage === 'imap');
    const out = [...login.map((s) => s.out), ...imap.map((s) => s.out)];
    const total = out.reduce((n, b) => n + b.length, 0);
    if (
      (login.length === 1 && imap.length === 1 && total >= expectedOut) ||
      Date.now() > deadline
    ) {
      expect(login.length, 'one pre-login rawlog').toBe(1);
      expect(imap.length, 'one post-login rawlog').toBe(1);
      return { in: imap[0]?.in ?? Buffer.alloc(0), out };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * The core assertion: one connection on each side; client-sent == server-received and
 * server-sent == client-received (sha256 and length); at least 20 MB each way; the session
 * close log line counts the same bytes; Dovecot's rawlog agrees with the server-side hop.
 */
async function expectByteIdentity(): Promise<void> {
  const { clientSide, serverSide, scope } = stack;
  await Promise.all([...clientSide.connections, ...serverSide.connections].map((c) => c.closed));
  expect(clientSide.connections).toHaveLength(1);
  expect(serverSide.connections).toHaveLength(1);
  const client = clientSide.connections[0]!;
  const server = serverSide.connections[0]!;

  expect(client.c2s.bytes).toBeGreaterThanOrEqual(MIN_BYTES_EACH_WAY);
  expect(server.s2c.bytes).toBeGreaterThanOrEqual(MIN_BYTES_EACH_WAY);
  expect({ bytes: server.c2s.bytes, sha256: server.c2s.sha256() }).toEqual({
    bytes: client.c2s.bytes,
    sha256: client.c2s.sha256(),
  });
  expect({ bytes: client.s2c.bytes, sha256: client.s2c.sha256() }).toEqual({
    bytes: server.s2c.bytes,
    sha256: server.s2c.sha256(),
  });

  const close = await scope.waitForLog((l) => l.msg === 'session close');
  expect({ bytesC2s: close.bytesC2s, bytesS2c: close.bytesS2c }).toEqual({
    bytesC2s: client.c2s.bytes,
    bytesS2c: client.s2c.bytes,
  });

  // Dovecot's own record: pre-login output then post-login output is everything it sent;
  // the post-login input is the tail of everything it received.
  const rawlog = await serverRawlog(server.s2c.bytes);
  const sent = server.s2c.data();
  const received = server.c2s.data();
  expect(sha256(Buffer.concat(rawlog.out))).toBe(sha256(sent));
  expect(rawlog.in.length).toBeGreaterThan(MIN_BYTES_EACH_WAY);
  expect(sha256(received.subarray(received.length - rawlog.in.length))).toBe(sha256(rawlog.in));
}

describe('imapscope relays 20 MB each way byte for byte', () => {
  it(
    'for imapflow: three 7 MB APPENDs and FETCHes arrive unchanged on both sides',
    async () => {
      const { clientSide, dovecot, messages } = stack;
      const client = new ImapFlow({
        host: clientSide.host,
        port: clientSide.port,
        secure: false,
        // Plain, uncompressed IMAP so that the sizes on the wire are the message sizes.
        doSTARTTLS: false,
        disableCompression: true,
        auth: { user: dovecot.user, pass: dovecot.password },
        logger: false,
      });
      await client.connect();
      for (const m of messages) await client.append('INBOX', m);
      const lock = await client.getMailboxLock('INBOX');
      const fetched: Buffer[] = [];
      try {
        for await (const msg of client.fetch('1:*', { uid: true, source: true })) {
          if (msg.source) fetched.push(msg.source);
        }
      } finally {
        lock.release();
      }
      await client.logout();
      expect(fetched.map(sha256)).toEqual(messages.map(sha256));
      await expectByteIdentity();
    },
    TIMEOUT_MS,
  );

  it(
    "for Python's imaplib: its own record of the wire matches Dovecot's",
    async () => {
      const { clientSide, dovecot, messages, files } = stack;
      const { stdout } = await execFileAsync(
        'python3',
        [
          IMAPLIB_CLIENT,
          clientSide.host,
          String(clientSide.port),
          dovecot.user,
          dovecot.password,
          ...files,
        ],
        { maxBuffer: 16 * 1024 * 1024 },
      );
      const out = JSON.parse(stdout) as {
        fetched: { sha256: string }[];
        sent: { bytes: number; sha256: string };
        received: { bytes: number; sha256: string };
      };
      expect(out.fetched.map((f) => f.sha256)).toEqual(messages.map(sha256));
      await expectByteIdentity();
      // The client's own hashes, taken inside imaplib, against the server-side wire.
      const server = stack.serverSide.connections[0]!;
      expect(out.sent).toEqual({ bytes: server.c2s.bytes, sha256: server.c2s.sha256() });
      expect(out.received).toEqual({ bytes: server.s2c.bytes, sha256: server.s2c.sha256() });
    },
    TIMEOUT_MS,
  );

  it(
    'for curl: three uploads with -T and three UID fetches in one connection',
    async () => {
      const { clientSide, dovecot, messages, files, tmp } = stack;
      const base = `imap://${dovecot.user}:${dovecot.password}@${clientSide.host}:${clientSide.port}/INBOX`;
      const args = ['--silent', '--show-error'];
      for (const file of files) args.push('-T', file, base);
      const outputs = files.map((_f, i) => path.join(tmp, `fetched-${i + 1}.eml`));
      // --next keeps curl's connection cache, so the fetches reuse the upload's connection.
      outputs.forEach((output, i) => args.push('--next', '-o', output, `${base};UID=${i + 1}`));
      await execFileAsync('curl', args);
      const fetched = await Promise.all(outputs.map((o) => readFile(o)));
      expect(fetched.map(sha256)).toEqual(messages.map(sha256));
      await expectByteIdentity();
    },
    TIMEOUT_MS,
  );
});
