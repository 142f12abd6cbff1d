/**
 * Every TLS pairing through the real `imapscope` command against Dovecot, with real clients
 * (imapflow, Python's imaplib, curl) that trust the CA printed by `imapscope ca` and never
 * turn verification off. imapscope verifies Dovecot's self-signed certificate through
 * --upstream-ca; without it the client gets a BYE that says why.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDovecot, type Dovecot } from '../helpers/dovecot.ts';
import { REPO_ROOT, startImapscope, type Imapscope, type LogLine } from '../helpers/imapscope.ts';
import { readUntilClose } from '../helpers/raw-imap.ts';

const execFileAsync = promisify(execFile);

let dovecot: Dovecot;
let tmp: string;
let upstreamCa: string;
const scopes: Imapscope[] = [];

beforeAll(async () => {
  dovecot = await startDovecot();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'imapscope-tls-e2e-'));
  upstreamCa = path.join(tmp, 'dovecot.pem');
  await writeFile(upstreamCa, dovecot.certPem);
});

afterAll(async () => {
  await Promise.all(scopes.map((s) => s.stop()));
  await dovecot?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

interface Running {
  scope: Imapscope;
  /** The CA PEM and its file, as `imapscope ca` printed them. */
  caPem: string;
  caFile: string;
}

async function run(
  clientTls: string,
  upstreamTls: string,
  verify = true,
  extra: string[] = [],
): Promise<Running> {
  const port = upstreamTls === 'implicit' ? dovecot.tlsPort : dovecot.port;
  const scope = await startImapscope([
    '--upstream',
    `${dovecot.host}:${port}`,
    '--client-tls',
    clientTls,
    '--upstream-tls',
    upstreamTls,
    ...(verify ? ['--upstream-ca', upstreamCa] : []),
    // Exchanges are logged at debug; info has one summary line per session.
    '--log-level',
    'debug',
    ...extra,
  ]);
  scopes.push(scope);
  const { stdout } = await execFileAsync(process.execPath, [
    path.join(REPO_ROOT, 'proxy', 'imapscope.mjs'),
    'ca',
    '--data',
    scope.dataDir,
  ]);
  const file = /^CA certificate: (.+)$/m.exec(stdout)?.[1];
  const pem = stdout.slice(stdout.indexOf('-----BEGIN CERTIFICATE-----'));
  expect(file).toBeDefined();
  expect(pem).toMatch(/-----END CERTIFICATE-----\n$/);
  return { scope, caPem: pem, caFile: file! };
}

async function imapflowRoundTrip(r: Running, secure: boolean, compress: boolean): Promise<void> {
  const client = new ImapFlow({
    host: r.scope.listen.host,
    port: r.scope.listen.port,
    secure,
    doSTARTTLS: !secure,
    disableCompression: !compress,
    tls: { ca: [r.caPem], rejectUnauthorized: true },
    auth: { user: dovecot.user, pass: dovecot.password },
    logger: false,
  });
  await client.connect();
  expect(client.secureConnection).toBe(true);
  const body = Buffer.from(
    `From: a@example.test\r\nSubject: tls ${secure} ${compress}\r\n\r\nThrough imapscope's TLS.\r\n`,
  );
  const res = await client.append('INBOX', body);
  const lock = await client.getMailboxLock('INBOX');
  try {
    const msg = await client.fetchOne(String(res && res.uid), { source: true }, { uid: true });
    expect(msg && msg.source?.equals(body)).toBe(true);
  } finally {
    lock.release();
  }
  await client.logout();
}

const PY = `
import imaplib, ssl, sys
host, port, mode, cafile, user, password = sys.argv[1:]
ctx = ssl.create_default_context(cafile=cafile)
if mode == 'ssl':
    c = imaplib.IMAP4_SSL(host, int(port), ssl_context=ctx)
else:
    c = imaplib.IMAP4(host, int(port))
    c.starttls(ssl_context=ctx)
typ, _ = c.login(user, password)
typ2, data = c.select('INBOX')
c.logout()
print(typ, typ2, type(c.sock).__name__)
`;

async function curl(...args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('curl', ['--silent', '--show-error', ...args]);
  return stdout;
}

/** imapflow, imaplib and curl, each over the pairing's client TLS mode, against `r`. */
async function threeClients(r: Running, secure: boolean): Promise<void> {
  await imapflowRoundTrip(r, secure, true);
  const { host, port } = r.scope.listen;
  const py = await execFileAsync('python3', [
    '-c',
    PY,
    host,
    String(port),
    secure ? 'ssl' : 'starttls',
    r.caFile,
    dovecot.user,
    dovecot.password,
  ]);
  expect(py.stdout.trim()).toBe('OK OK SSLSocket');
  const scheme = secure ? 'imaps' : 'imap';
  const list = await curl(
    ...(secure ? [] : ['--ssl-reqd']),
    '--cacert',
    r.caFile,
    `${scheme}://${dovecot.user}:${dovecot.password}@${host}:${port}/`,
  );
  expect(list).toContain('INBOX');
}

/**
 * The debug log lines of each of the first `count` sessions, once all have closed and
 * inspection has caught up: decoded with zero Malformed and every command answered.
 */
async function decodedSessions(scope: Imapscope, count: number): Promise<LogLine[][]> {
  const closes = (): LogLine[] => scope.logs.filter((l) => l.msg === 'session close');
  await scope.waitForLog(() => closes().length >= count, 20_000);
  await new Promise((resolve) => setTimeout(resolve, 300));
  // In the order the sessions opened (the clients run one after the other).
  const ids = scope.logs.filter((l) => l.msg === 'session open').map((l) => l.session);
  const sessions = ids.map((id) => scope.logs.filter((l) => l.session === id));
  expect(sessions).toHaveLength(count);
  for (const lines of sessions) {
    expect(lines.filter((l) => l.msg === 'malformed')).toEqual([]);
    const exchanges = lines.filter((l) => l.msg === 'exchange');
    for (const e of exchanges) expect(e.status).not.toBe('aborted');
    expect(lines.filter((l) => l.msg === 'inspection gap')).toEqual([]);
  }
  return sessions;
}

const commandsOf = (lines: LogLine[]): string[] =>
  lines.filter((l) => l.msg === 'exchange').map((l) => `${l.command} ${l.status}`);

/** Exchanges each client's session must include once it is secure and logged in. */
const IMAPFLOW_DOES = ['APPEND OK', 'SELECT OK', 'UID FETCH OK', 'LOGOUT OK'];
const IMAPLIB_DOES = ['LOGIN OK', 'SELECT OK', 'LOGOUT OK'];
const CURL_DOES = ['LIST OK'];

describe('TLS pairings through imapscope with clients that trust `imapscope ca`', () => {
  it('implicit TLS on both legs: imapflow with and without COMPRESS, imaplib IMAP4_SSL, curl imaps://', async () => {
    const r = await run('implicit', 'implicit');
    expect(r.scope.readyLine).toMatchObject({ clientTls: 'implicit', upstreamTls: 'implicit' });
    await imapflowRoundTrip(r, true, false);
    await imapflowRoundTrip(r, true, true);
    const { host, port } = r.scope.listen;
    const py = await execFileAsync('python3', [
      '-c',
      PY,
      host,
      String(port),
      'ssl',
      r.caFile,
      dovecot.user,
      dovecot.password,
    ]);
    expect(py.stdout.trim()).toBe('OK OK SSLSocket');
    const list = await curl(
      '--cacert',
      r.caFile,
      `imaps://${dovecot.user}:${dovecot.password}@${host}:${port}/`,
    );
    expect(list).toContain('INBOX');
  });

  it('STARTTLS on both legs: imapflow with and without COMPRESS, imaplib starttls(), curl --ssl-reqd', async () => {
    const r = await run('starttls', 'starttls');
    await imapflowRoundTrip(r, false, false);
    await imapflowRoundTrip(r, false, true);
    const { host, port } = r.scope.listen;
    const py = await execFileAsync('python3', [
      '-c',
      PY,
      host,
      String(port),
      'starttls',
      r.caFile,
      dovecot.user,
      dovecot.password,
    ]);
    expect(py.stdout.trim()).toBe('OK OK SSLSocket');
    const list = await curl(
      '--ssl-reqd',
      '--cacert',
      r.caFile,
      `imap://${dovecot.user}:${dovecot.password}@${host}:${port}/`,
    );
    expect(list).toContain('INBOX');
  });

  it('--client-tls starttls over a plain and an implicit-TLS upstream: imapscope answers STARTTLS, advertises it, and decoding goes on inside TLS', async () => {
    for (const upstreamTls of ['none', 'implicit']) {
      const r = await run('starttls', upstreamTls, true, ['--log-level', 'debug']);
      expect(r.scope.readyLine).toMatchObject({ clientTls: 'starttls', upstreamTls });
      // imapflow (doSTARTTLS: true), imaplib's starttls() and curl --ssl-reqd all refuse to
      // go on unless STARTTLS is advertised: an implicit-TLS Dovecot never does.
      await threeClients(r, false);
      const sessions = await decodedSessions(r.scope, 3);
      for (const lines of sessions) {
        const commands = commandsOf(lines);
        expect(commands, commands.join(', ')).toContain('STARTTLS OK');
        // The greeting as the client saw it, STARTTLS included, is what was decoded.
        const greeting = lines.find((l) => l.msg === 'message' && l.direction === 's2c');
        expect(String(greeting?.raw)).toMatch(/^\* OK \[CAPABILITY [^\]]*\bSTARTTLS\b/);
      }
      const [flow, py, curlSession] = sessions.map(commandsOf);
      expect(flow).toEqual(expect.arrayContaining([...IMAPFLOW_DOES, 'COMPRESS OK']));
      expect(flow!.some((c) => /^(AUTHENTICATE|LOGIN) OK$/.test(c))).toBe(true);
      expect(py).toEqual(expect.arrayContaining(IMAPLIB_DOES));
      expect(curlSession).toEqual(expect.arrayContaining(CURL_DOES));
      // Every exchange after STARTTLS was decoded from inside TLS.
      for (const commands of [flow!, py!, curlSession!]) {
        expect(commands.indexOf('STARTTLS OK')).toBeLessThan(commands.length - 1);
      }
    }
  });

  it('--client-tls implicit over a STARTTLS and a plain upstream: imapflow, imaplib IMAP4_SSL and curl imaps:// decode inside TLS', async () => {
    for (const upstreamTls of ['starttls', 'none']) {
      const r = await run('implicit', upstreamTls, true, ['--log-level', 'debug']);
      expect(r.scope.readyLine).toMatchObject({ clientTls: 'implicit', upstreamTls });
      await threeClients(r, true);
      const sessions = await decodedSessions(r.scope, 3);
      const [flow, py, curlSession] = sessions.map(commandsOf);
      expect(flow, flow!.join(', ')).toEqual(
        expect.arrayContaining([...IMAPFLOW_DOES, 'COMPRESS OK']),
      );
      expect(flow!.some((c) => /^(AUTHENTICATE|LOGIN) OK$/.test(c))).toBe(true);
      expect(py).toEqual(expect.arrayContaining(IMAPLIB_DOES));
      expect(curlSession).toEqual(expect.arrayContaining(CURL_DOES));
      // imapscope's own upstream STARTTLS prelude is not shown as the client's.
      for (const commands of [flow!, py!, curlSession!]) {
        expect(commands.filter((c) => c.startsWith('STARTTLS'))).toEqual([]);
      }
    }
  });

  it('a plain client with imapscope upgrading the upstream by STARTTLS, and with implicit TLS upstream', async () => {
    for (const upstreamTls of ['starttls', 'implicit']) {
      const r = await run('none', upstreamTls);
      const client = new ImapFlow({
        host: r.scope.listen.host,
        port: r.scope.listen.port,
        secure: false,
        doSTARTTLS: false,
        auth: { user: dovecot.user, pass: dovecot.password },
        logger: false,
      });
      await client.connect();
      expect(client.capabilities.has('STARTTLS')).toBe(false);
      expect((await client.mailboxOpen('INBOX')).path).toBe('INBOX');
      await client.logout();
    }
  });

  it('the client gets a BYE naming the failed verification when the upstream is not trusted', async () => {
    const r = await run('none', 'implicit', false);
    const { text } = await readUntilClose(r.scope.listen.host, r.scope.listen.port);
    expect(text).toMatch(
      /^\* BYE \[UNAVAILABLE\] imapscope: upstream .* certificate verification failed: .*self[- ]signed/i,
    );
    const line = await r.scope.waitForLog((l) => /^upstream TLS failed/.test(String(l.msg)));
    expect(line.code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
  });

  it('--upstream-insecure is warned about in the log and the ready line', async () => {
    const scope = await startImapscope([
      '--upstream',
      `${dovecot.host}:${dovecot.tlsPort}`,
      '--upstream-tls',
      'implicit',
      '--upstream-insecure',
    ]);
    scopes.push(scope);
    const { text } = await readUntilClose(scope.listen.host, scope.listen.port, 1_000);
    expect(text).toMatch(/^\* OK .*Dovecot/);
    expect(String(scope.readyLine.warning)).toMatch(/not verified/);
    expect(scope.logs.some((l) => l.level === 40 && /upstream-insecure/.test(String(l.msg)))).toBe(
      true,
    );
  });
});
