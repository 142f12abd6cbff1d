/**
 * Fuzz targets against a running imapscope (beyond the wire properties of test/wire): random
 * and mutated HTTP at the UI port, and mutated IMAP through the relay both ways. Each runs for
 * a given time against one stack (Dovecot ⇄ a mutating forwarder ⇄ imapscope) and returns its
 * failures as text. The stack's process must live through all of them, and its inspection
 * thread never fail.
 *
 * LIVE_TARGETS is the list `npm run fuzz` (and its smoke test) runs; a target for PROXY
 * protocol headers on the listener joins it once the listener takes them.
 */
import net from 'node:net';
import { startDovecot, type Dovecot } from '../helpers/dovecot.ts';
import { startImapscope, type Imapscope } from '../helpers/imapscope.ts';
import { startMutatingForwarder, type MutatingForwarder } from './mutating-forwarder.ts';

export interface FuzzStack {
  dovecot: Dovecot;
  forwarder: MutatingForwarder;
  scope: Imapscope;
  stop(): Promise<void>;
}

export interface TargetResult {
  cases: number;
  failures: string[];
}

export interface LiveTarget {
  name: string;
  /** Runs cases until `untilMs` (Date.now() time); never throws for a finding, reports it. */
  run(stack: FuzzStack, untilMs: number, rng: Rng): Promise<TargetResult>;
}

/** A seeded PRNG (mulberry32): a FUZZ_SEED repeats a run's choices. */
export class Rng {
  constructor(private state: number) {}
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }
}

/** Dovecot, the forwarder in front of it, imapscope in front of that. */
export async function startFuzzStack(): Promise<FuzzStack> {
  const dovecot = await startDovecot();
  const forwarder = await startMutatingForwarder(dovecot);
  const scope = await startImapscope(['--upstream', `${forwarder.host}:${forwarder.port}`]);
  return {
    dovecot,
    forwarder,
    scope,
    async stop() {
      await scope.stop();
      await forwarder.close();
      await dovecot.stop();
    },
  };
}

/** The process lives and its inspection thread never failed; else what went wrong. */
export function stackFailures(stack: FuzzStack): string[] {
  const out: string[] = [];
  const p = stack.scope.process;
  if (p.exitCode !== null || p.signalCode !== null)
    out.push(
      `imapscope exited (${p.exitCode ?? p.signalCode}): ${stack.scope.stderr.slice(-2000)}`,
    );
  const failed = stack.scope.logs.filter((l) => l.msg?.startsWith('inspection thread') === true);
  if (failed.length > 0)
    out.push(`inspection thread failed ${failed.length}×: ${JSON.stringify(failed[0])}`);
  return out;
}

// IMAP ---------------------------------------------------------------------------------------

const SPECIALS = [
  '{',
  '}',
  '\r\n',
  '\r',
  '\n',
  '~{',
  '(',
  ')',
  '"',
  '\\',
  '+',
  '*',
  ' ',
  '[',
  ']',
  '\0',
];

function baseClientScript(stack: FuzzStack, rng: Rng): string {
  const d = stack.dovecot;
  const body = 'Subject: fuzz\r\n\r\n' + 'x'.repeat(rng.int(2_000)) + '\r\n';
  const pool = [
    'NOOP',
    'SELECT INBOX',
    'FETCH 1:* (FLAGS UID BODY.PEEK[HEADER])',
    `APPEND INBOX {${body.length}+}\r\n${body}`,
    'SEARCH ALL',
    'STATUS INBOX (MESSAGES UIDNEXT)',
    'LIST "" *',
    'IDLE\r\nDONE',
    'CAPABILITY',
    'EXAMINE "a \\"quoted\\" box"',
    'UID FETCH 1:* (ENVELOPE)',
  ];
  const lines = [`a0 LOGIN ${d.user} ${d.password}`];
  const n = 2 + rng.int(10);
  for (let i = 1; i <= n; i++) lines.push(`a${i} ${rng.pick(pool)}`);
  lines.push('z LOGOUT');
  return lines.join('\r\n') + '\r\n';
}

/** A few random edits: flips, inserts (IMAP's special characters, huge literals), cuts, copies. */
export function mutate(input: Buffer, rng: Rng, edits = 1 + rng.int(6)): Buffer {
  let b = input;
  for (let e = 0; e < edits; e++) {
    const at = rng.int(b.length + 1);
    switch (rng.int(6)) {
      case 0:
        if (b.length > 0) {
          b = Buffer.from(b);
          b[Math.min(at, b.length - 1)] = rng.int(256);
        }
        break;
      case 1:
        b = Buffer.concat([b.subarray(0, at), Buffer.from(rng.pick(SPECIALS)), b.subarray(at)]);
        break;
      case 2:
        b = Buffer.concat([b.subarray(0, at), rng.bytes(1 + rng.int(40)), b.subarray(at)]);
        break;
      case 3: {
        const lit = rng.pick([
          '{0}',
          '{5}',
          '{99999999999999999999}',
          '{3+}',
          '~{4}',
          '{-1}',
          '{4294967296}',
        ]);
        b = Buffer.concat([b.subarray(0, at), Buffer.from(`${lit}\r\n`), b.subarray(at)]);
        break;
      }
      case 4:
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + rng.int(30))]);
        break;
      default: {
        const len = rng.int(200);
        b = Buffer.concat([b.subarray(0, at), b.subarray(at, at + len), b.subarray(at)]);
      }
    }
  }
  return b;
}

/** One session through imapscope: sends `bytes` in random pieces, then half-closes. */
async function session(
  stack: FuzzStack,
  bytes: Buffer,
  rng: Rng,
): Promise<{ sent: Buffer; received: Buffer }> {
  const conn = stack.forwarder.next();
  const s = net.connect(stack.scope.listen.port, stack.scope.listen.host);
  const received: Buffer[] = [];
  const closed = new Promise<void>((resolve) => {
    s.on('close', () => resolve());
    s.on('error', () => resolve());
  });
  s.on('data', (c: Buffer) => received.push(c));
  await new Promise<void>((resolve) => s.once('connect', () => resolve()));
  let at = 0;
  while (at < bytes.length && !s.destroyed) {
    const n = 1 + rng.int(Math.min(4_096, bytes.length - at));
    s.write(bytes.subarray(at, at + n));
    at += n;
    if (rng.int(4) === 0) await new Promise((r) => setTimeout(r, rng.int(5)));
  }
  await new Promise((r) => setTimeout(r, 50 + rng.int(150)));
  s.end();
  // A literal that never ends, or a server waiting: give up on it after a while.
  const timer = setTimeout(() => s.destroy(), 3_000);
  await closed;
  clearTimeout(timer);
  const c = await conn;
  await Promise.race([c.closed, new Promise((r) => setTimeout(r, 3_000))]);
  const fromScope = Buffer.concat(c.fromScope);
  const toScope = Buffer.concat(c.toScope);
  const rec = Buffer.concat(received);
  // What reached each side is what the other sent, unchanged (all of it, or a prefix when a
  // side closed before the rest could be delivered).
  const sent = bytes.subarray(0, at);
  if (!sent.subarray(0, fromScope.length).equals(fromScope))
    throw new Error(
      `c2s bytes changed: sent ${sent.length}, Dovecot's side got ${fromScope.length}`,
    );
  if (!toScope.subarray(0, rec.length).equals(rec))
    throw new Error(
      `s2c bytes changed: forwarder sent ${toScope.length}, client got ${rec.length}`,
    );
  return { sent, received: rec };
}

const imapTarget = (name: string, server: boolean): LiveTarget => ({
  name,
  async run(stack, untilMs, rng) {
    const failures: string[] = [];
    let cases = 0;
    stack.forwarder.mutate = server
      ? (chunk) => (rng.int(3) === 0 ? mutate(chunk, rng) : chunk)
      : null;
    try {
      while (Date.now() < untilMs && failures.length < 5) {
        const script = Buffer.from(baseClientScript(stack, rng));
        const bytes = server ? script : mutate(script, rng);
        cases++;
        await session(stack, bytes, rng).catch((err: Error) =>
          failures.push(
            `${name} case ${cases}: ${err.message}; input ${JSON.stringify(bytes.toString('latin1').slice(0, 300))}`,
          ),
        );
        failures.push(...stackFailures(stack));
        if (stackFailures(stack).length > 0) break;
      }
    } finally {
      stack.forwarder.mutate = null;
    }
    return { cases, failures };
  },
});

// HTTP ---------------------------------------------------------------------------------------

const METHODS = [
  'GET',
  'POST',
  'PUT',
  'DELETE',
  'OPTIONS',
  'HEAD',
  'PATCH',
  'CONNECT',
  'TRACE',
  'BREW',
  'G\x01T',
  '',
];
const PATHS = [
  '/',
  '//',
  '/\\',
  '//:1/',
  '/\\\\evil.example/',
  '/%',
  '/%ZZ',
  '/%00',
  '/api/sessions',
  '/api/sessions/%ZZ/events',
  '/api/sessions/x/events?afterSeq=-1&limit=1e309',
  '/api/events?after=abc',
  '/api/status',
  '/api/actions?from=%ZZ',
  '/ws',
  '/ws?token=%ZZ',
  '/..%2f..%2fetc%2fpasswd',
  '/assets/../../package.json',
  '*',
  'http://127.0.0.1/',
];

function httpRequest(stack: FuzzStack, rng: Rng): { text: string; complete: boolean } {
  const token = new URL(stack.scope.url).searchParams.get('token') ?? '';
  const ui = `${stack.scope.ui.host}:${stack.scope.ui.port}`;
  const path =
    rng.int(6) === 0
      ? '/' +
        rng
          .bytes(1 + rng.int(40))
          .toString('latin1')
          .replace(/[\r\n ]/g, '')
      : rng.int(20) === 0
        ? '/' + 'a'.repeat(50_000 + rng.int(100_000))
        : rng.pick(PATHS);
  const headers: string[] = [];
  if (rng.int(5) !== 0)
    headers.push(`Host: ${rng.pick([ui, 'evil.example', '', '[::1', ui + ':1'])}`);
  if (rng.int(2) === 0) headers.push(`Authorization: Bearer ${rng.pick([token, '', '%ZZ', 'x'])}`);
  if (rng.int(3) === 0)
    headers.push(
      `Cookie: ${rng.pick([`imapscope_token=%ZZ`, `imapscope_token_${stack.scope.ui.port}=${token}`, '=;=;', 'a=%E0%A4%A'])}`,
    );
  if (rng.int(4) === 0) {
    headers.push(
      'Connection: Upgrade',
      `Upgrade: ${rng.pick(['websocket', 'WebSocket', 'h2c', ''])}`,
    );
    if (rng.int(2) === 0)
      headers.push(`Sec-WebSocket-Key: ${rng.pick(['dGhlIHNhbXBsZSBub25jZQ==', '', '!!!'])}`);
    if (rng.int(2) === 0) headers.push(`Sec-WebSocket-Version: ${rng.pick(['13', '8', 'x'])}`);
    if (rng.int(2) === 0)
      headers.push(`Origin: ${rng.pick(['http://evil.example', `http://${ui}`, 'null'])}`);
  }
  if (rng.int(12) === 0) headers.push(`X-Big: ${'b'.repeat(20_000 + rng.int(100_000))}`);
  if (rng.int(10) === 0)
    headers.push(
      rng
        .bytes(1 + rng.int(30))
        .toString('latin1')
        .replace(/[\r\n]/g, ''),
    );
  let body = '';
  let complete = true;
  if (rng.int(6) === 0) {
    body = rng.bytes(rng.int(100)).toString('latin1');
    const claimed = rng.int(3) === 0 ? body.length + 10 : body.length;
    complete = claimed === body.length;
    headers.push(`Content-Length: ${claimed}`);
  }
  const version = rng.pick(['HTTP/1.1', 'HTTP/1.1', 'HTTP/1.0', 'HTTP/9.9', '']);
  return {
    text: `${rng.pick(METHODS)} ${path} ${version}\r\n${headers.join('\r\n')}\r\n\r\n${body}`,
    complete,
  };
}

/** Sends one raw request; resolves with the first bytes of the answer ('' if none came). */
function rawHttp(stack: FuzzStack, text: string): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(stack.scope.ui.port, stack.scope.ui.host);
    let got = '';
    const timer = setTimeout(() => {
      s.destroy();
      resolve(got);
    }, 3_000);
    s.on('data', (c: Buffer) => {
      got += c.toString('latin1');
      if (got.includes('\r\n')) {
        clearTimeout(timer);
        s.destroy();
        resolve(got);
      }
    });
    s.on('error', () => undefined);
    s.on('close', () => {
      clearTimeout(timer);
      resolve(got);
    });
    s.write(text, 'latin1');
  });
}

/** A logged-in session through imapscope that must stay up: `noop()` rejects once it is not. */
async function keptSession(stack: FuzzStack): Promise<{ noop(): Promise<void>; close(): void }> {
  const s = net.connect(stack.scope.listen.port, stack.scope.listen.host);
  let text = '';
  let n = 0;
  s.on('data', (c: Buffer) => (text += c.toString('latin1')));
  s.on('error', () => undefined);
  const until = async (re: RegExp): Promise<void> => {
    const deadline = Date.now() + 10_000;
    while (!re.test(text)) {
      if (s.destroyed || Date.now() > deadline)
        throw new Error(`kept session: no ${re} in ${JSON.stringify(text.slice(-300))}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  await until(/^\* OK/m);
  s.write(`k0 LOGIN ${stack.dovecot.user} ${stack.dovecot.password}\r\n`);
  await until(/^k0 OK/m);
  return {
    async noop() {
      const tag = `k${++n}`;
      s.write(`${tag} NOOP\r\n`);
      await until(new RegExp(`^${tag} OK`, 'm'));
    },
    close: () => s.destroy(),
  };
}

const STATUS_LINE = /^HTTP\/1\.[01] [1-5]\d\d /;

const httpTarget: LiveTarget = {
  name: 'ui-http',
  async run(stack, untilMs, rng) {
    const failures: string[] = [];
    let cases = 0;
    const kept = await keptSession(stack);
    try {
      while (Date.now() < untilMs && failures.length < 5) {
        const req = httpRequest(stack, rng);
        cases++;
        const answer = await rawHttp(stack, req.text);
        if (req.complete && !STATUS_LINE.test(answer))
          failures.push(
            `ui-http case ${cases}: no valid status line (${JSON.stringify(answer.slice(0, 80))}) for ${JSON.stringify(req.text.slice(0, 300))}`,
          );
        const dead = stackFailures(stack);
        if (dead.length > 0) {
          failures.push(...dead, `after ${JSON.stringify(req.text.slice(0, 300))}`);
          break;
        }
        if (cases % 50 === 0) await kept.noop();
      }
      await kept
        .noop()
        .catch((err: Error) => failures.push(`ui-http: the relayed session died: ${err.message}`));
    } finally {
      kept.close();
    }
    return { cases, failures };
  },
};

/** What `npm run fuzz` runs against a live imapscope, in order. */
export const LIVE_TARGETS: readonly LiveTarget[] = [
  httpTarget,
  imapTarget('imap-client-mutated', false),
  imapTarget('imap-server-mutated', true),
];

/** Runs `targets` for `seconds` each on one stack; the results by target name. */
export async function runLiveTargets(
  targets: readonly LiveTarget[],
  seconds: number,
  seed: number,
  report: (line: string) => void = () => undefined,
): Promise<Map<string, TargetResult>> {
  const stack = await startFuzzStack();
  const results = new Map<string, TargetResult>();
  try {
    for (const [i, t] of targets.entries()) {
      const t0 = Date.now();
      const r = await t.run(stack, t0 + seconds * 1000, new Rng(seed + i));
      results.set(t.name, r);
      report(
        `${r.failures.length === 0 ? 'ok  ' : 'FAIL'}  ${t.name}: ${r.cases} cases in ${((Date.now() - t0) / 1000).toFixed(1)} s` +
          (r.failures.length > 0 ? `\n  ${r.failures.join('\n  ')}` : ''),
      );
    }
  } finally {
    await stack.stop();
  }
  return results;
}
