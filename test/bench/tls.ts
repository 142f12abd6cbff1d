/**
 * The TLS benchmark (issue 5): bulk FETCH of 20 × 5 MiB with TLS on both legs, imapscope
 * (--client-tls implicit --upstream-tls implicit, verifying Dovecot) against a plain Node
 * TLS-terminating relay (tls.createServer → tls.connect → pipe), both as their own processes,
 * in the same run, interleaved; once without and once with COMPRESS=DEFLATE.
 *
 *   node --import tsx test/bench/tls.ts            # standalone: prints the rows as JSON
 *   node --import tsx test/bench/tls.ts --plain-tls-relay UP_HOST UP_PORT CERT KEY CA
 *                                                  # (internal) the baseline relay process
 *
 * `benchTls()` returns one row per (compress, path), with the ratio to the plain relay, the
 * relaying process's CPU time per MB beside the plain relay's, and imapscope's inspection gap.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { startDovecot } from '../helpers/dovecot.ts';
import { REPO_ROOT, startImapscope } from '../helpers/imapscope.ts';
import { makeMessage } from '../helpers/mail.ts';
import { ImapDriver } from './imap-driver.ts';
import {
  addThreadCpu,
  cpuByKind,
  cpuSeconds,
  median,
  msSince,
  rotate,
  threadCpuDelta,
  threadCpuMs,
  threadKinds,
} from './stats.ts';
import type { ThreadCpu, ThreadKind } from './stats.ts';
import { gapBytes, threadNames } from './workload.ts';
import type { ThreadNames } from './workload.ts';

const MESSAGES = 20;
const MESSAGE_BYTES = 5 * 1024 * 1024;
const WARMUPS = 2;
const ROUNDS = Number(process.env.TLS_BENCH_ROUNDS ?? 5);
/** Target of issue 5: imapscope's throughput as a ratio to the plain TLS relay. */
export const TARGET_TLS_RATIO = 0.85;

export interface TlsBenchRow {
  compress: boolean;
  /** `relay only`: proxy/net without inspection (diagnostic, not judged). */
  path: 'plain TLS relay' | 'imapscope' | 'relay only';
  /** Median MB/s (10^6 bytes of decrypted, inflated IMAP per second). */
  mbPerS: number;
  samplesMBps: number[];
  ratioToPlainRelay: number;
  target: number | null;
  pass: boolean | null;
  /**
   * CPU ms (user + system, /proc) of the relaying process per MB of IMAP it relayed over the
   * timed rounds, and its ratio to the plain TLS relay's (absent in reports before the figure).
   */
  cpuMsPerMB?: number | null;
  cpuRatioToPlainRelay?: number | null;
  /** imapscope's inspection gap over the rounds, bytes; null on paths that do not inspect. */
  gapBytes?: number | null;
  /** The CPU ms per MB by kind of thread (as the relay section's (e)). */
  cpuByThread?: Partial<Record<ThreadKind, ThreadCpu>>;
}

const SELF = fileURLToPath(import.meta.url);

/** The baseline: terminate TLS from the client, open TLS to the upstream, pipe both ways. */
function plainTlsRelay(args: string[]): void {
  const [host, port, certFile, keyFile, caFile] = args;
  const cert = readFileSync(certFile!, 'utf8');
  const key = readFileSync(keyFile!, 'utf8');
  const ca = readFileSync(caFile!, 'utf8');
  const server = tls.createServer({ cert, key }, (c) => {
    const u = tls.connect({ host, port: Number(port), ca: [ca] });
    c.setNoDelay(true);
    u.setNoDelay(true);
    c.on('error', () => u.destroy());
    u.on('error', () => c.destroy());
    c.pipe(u).pipe(c);
  });
  server.listen({ host: '127.0.0.1', port: 0, backlog: 4096 }, () => {
    const addr = server.address() as { port: number };
    process.stdout.write(`${JSON.stringify({ listen: `127.0.0.1:${addr.port}` })}\n`);
  });
  process.on('SIGTERM', () => process.exit(0));
}

/**
 * A diagnostic third path: imapscope's relay and TLS (proxy/net) in a process of its own,
 * with no inspection behind the tap, to tell the cost of TLS handling from that of decoding.
 */
async function relayOnly(args: string[]): Promise<void> {
  const [host, port, caFile, dataDir] = args;
  const { startListener } = await import('../../proxy/net/listener.ts');
  const { relayConnection } = await import('../../proxy/net/relay.ts');
  const { prepareTls } = await import('../../proxy/net/tls.ts');
  const pino = (await import('pino')).default;
  const upstream = { host: host!, port: Number(port) };
  const listen = { host: '127.0.0.1', port: 0 };
  const setup = await prepareTls({
    clientTls: 'implicit',
    upstreamTls: 'implicit',
    dataDir: dataDir!,
    listen,
    upstream,
    cert: null,
    key: null,
    upstreamCa: caFile!,
    upstreamInsecure: false,
  });
  const log = pino({ level: 'warn' });
  const { address } = await startListener(listen, (s) =>
    relayConnection(s, { upstream, log, tls: setup }),
  );
  process.stdout.write(
    `${JSON.stringify({ listen: `127.0.0.1:${address.port}`, ca: setup.ca?.certPem })}\n`,
  );
  process.on('SIGTERM', () => process.exit(0));
}

/** A TLS bulk-fetch client: LOGIN, optional COMPRESS, SELECT, then timed UID FETCH rounds. */
class TlsBulkClient {
  private received = 0;
  private tail = '';
  private waiter: { re: RegExp; resolve: () => void } | null = null;
  private deflate: zlib.DeflateRaw | null = null;

  private constructor(private readonly socket: tls.TLSSocket) {}

  static async open(port: number, ca: string, user: string, pass: string, compress: boolean) {
    const socket = tls.connect({ host: '127.0.0.1', port, ca: [ca] });
    const c = new TlsBulkClient(socket);
    let inflate: zlib.InflateRaw | null = null;
    socket.on('data', (d: Buffer) => (inflate ? inflate.write(d) : c.onPlain(d)));
    await c.wait(/^\* OK/m);
    await c.command('b1', `LOGIN ${user} ${pass}`);
    if (compress) {
      await c.command('b2', 'COMPRESS DEFLATE');
      inflate = zlib.createInflateRaw({ chunkSize: 256 * 1024 });
      inflate.on('data', (d: Buffer) => c.onPlain(d));
      c.deflate = zlib.createDeflateRaw();
      c.deflate.on('data', (d: Buffer) => socket.write(d));
    }
    await c.command('b3', 'SELECT INBOX');
    return c;
  }

  async fetchRound(n: number): Promise<{ bytes: number; ms: number }> {
    const start = process.hrtime.bigint();
    const before = this.received;
    await this.command(`f${n}`, `UID FETCH 1:${MESSAGES} BODY.PEEK[]`);
    return { bytes: this.received - before, ms: msSince(start) };
  }

  close(): void {
    this.socket.destroy();
  }

  private command(tag: string, text: string): Promise<void> {
    const line = Buffer.from(`${tag} ${text}\r\n`);
    if (this.deflate) {
      this.deflate.write(line);
      this.deflate.flush(zlib.constants.Z_SYNC_FLUSH);
    } else this.socket.write(line);
    return this.wait(new RegExp(`^${tag} OK`, 'm'));
  }

  private wait(re: RegExp): Promise<void> {
    if (re.test(this.tail)) {
      this.tail = '';
      return Promise.resolve();
    }
    return new Promise((resolve) => (this.waiter = { re, resolve }));
  }

  private onPlain(d: Buffer): void {
    this.received += d.length;
    // Enough of the end to hold a whole tagged line (a CAPABILITY-laden OK runs to ~1 KB).
    this.tail = (this.tail + d.toString('latin1', Math.max(0, d.length - 4096))).slice(-4096);
    if (this.waiter && this.waiter.re.test(this.tail)) {
      const w = this.waiter;
      this.waiter = null;
      this.tail = '';
      w.resolve();
    }
  }
}

async function startPlainTlsRelay(
  args: string[],
  mode: string,
  names: ThreadNames,
): Promise<{ port: number; pid: number | undefined; out: string; stop(): void }> {
  const child = spawn(
    process.execPath,
    [...names.nodeArgs, '--import', 'tsx', SELF, mode, ...args],
    {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, ...names.env },
    },
  );
  let out = '';
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /"listen":"127\.0\.0\.1:(\d+)"[^\n]*\n/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', () => reject(new Error('plain TLS relay exited')));
  });
  return { port, pid: child.pid, out, stop: () => void child.kill('SIGTERM') };
}

/** Runs the TLS bulk-FETCH benchmark against a private Dovecot; `log` gets progress lines. */
export async function benchTls(log: (m: string) => void = () => {}): Promise<TlsBenchRow[]> {
  log('tls: starting Dovecot');
  const dovecot = await startDovecot();
  const names = {
    plain: threadNames('tls-plain'),
    scope: threadNames('tls-imapscope'),
    bare: threadNames('tls-relay-only'),
  };
  const cleanups: (() => unknown)[] = [
    () => dovecot.stop(),
    ...Object.values(names).map((n) => () => n.remove()),
  ];
  try {
    log('tls: appending the messages');
    const d = await ImapDriver.connect(dovecot.host, dovecot.port);
    await d.ok(`LOGIN ${dovecot.user} ${dovecot.password}`);
    for (let i = 1; i <= MESSAGES; i++)
      await d.append('INBOX', makeMessage(MESSAGE_BYTES, `tls ${i}`));
    await d.logout();

    log('tls: starting the two relays');
    const tlsDir = path.join(dovecot.dir, 'tls');
    const caFile = path.join(dovecot.dir, 'dovecot-ca.pem');
    writeFileSync(caFile, dovecot.certPem);
    const plain = await startPlainTlsRelay(
      [
        dovecot.host,
        String(dovecot.tlsPort),
        path.join(tlsDir, 'cert.pem'),
        path.join(tlsDir, 'key.pem'),
        caFile,
      ],
      '--plain-tls-relay',
      names.plain,
    );
    cleanups.push(() => plain.stop());
    log(`tls: plain TLS relay on ${plain.port}; starting imapscope`);
    const scope = await startImapscope(
      [
        '--upstream',
        `${dovecot.host}:${dovecot.tlsPort}`,
        '--client-tls',
        'implicit',
        '--upstream-tls',
        'implicit',
        '--upstream-ca',
        caFile,
      ],
      names.scope.env,
      names.scope.nodeArgs,
    );
    cleanups.push(() => scope.stop());
    const caOut = execFileSync(process.execPath, [
      path.join(REPO_ROOT, 'proxy', 'imapscope.mjs'),
      'ca',
      '--data',
      scope.dataDir,
    ]).toString();
    const scopeCa = caOut.slice(caOut.indexOf('-----BEGIN'));

    log('tls: both relays ready');
    const bare = await startPlainTlsRelay(
      [dovecot.host, String(dovecot.tlsPort), caFile, path.join(dovecot.dir, 'bare-relay-data')],
      '--relay-only',
      names.bare,
    );
    cleanups.push(() => bare.stop());
    const bareCa = (JSON.parse(bare.out.split('\n')[0]!) as { ca: string }).ca;
    const rows: TlsBenchRow[] = [];
    for (const compress of [false, true]) {
      const paths = [
        {
          name: 'plain TLS relay' as const,
          port: plain.port,
          ca: dovecot.certPem,
          pid: plain.pid,
          names: names.plain,
        },
        {
          name: 'imapscope' as const,
          port: scope.listen.port,
          ca: scopeCa,
          pid: scope.process.pid,
          names: names.scope,
        },
        {
          name: 'relay only' as const,
          port: bare.port,
          ca: bareCa,
          pid: bare.pid,
          names: names.bare,
        },
      ];
      const clients = new Map<string, TlsBulkClient>();
      const samples = new Map<string, number[]>();
      // CPU seconds and MB relayed over the timed rounds, per path (as the relay section's (a)).
      const cpu = new Map<
        string,
        { seconds: number; mb: number; threads: Map<number, ThreadCpu> }
      >();
      for (const p of paths) {
        clients.set(
          p.name,
          await TlsBulkClient.open(p.port, p.ca, dovecot.user, dovecot.password, compress),
        );
        samples.set(p.name, []);
        cpu.set(p.name, { seconds: 0, mb: 0, threads: new Map() });
      }
      const gapMark = scope.logs.length;
      let n = 0;
      for (let round = 0; round < WARMUPS + ROUNDS; round++) {
        for (const p of rotate(paths, round)) {
          const before = cpuSeconds(p.pid);
          const threadsBefore = threadCpuMs(p.pid);
          const s = await clients.get(p.name)!.fetchRound(++n);
          const after = cpuSeconds(p.pid);
          const threadsAfter = threadCpuMs(p.pid);
          if (s.bytes < MESSAGES * MESSAGE_BYTES)
            throw new Error(`${p.name}: only ${s.bytes} bytes`);
          const mbps = s.bytes / 1e6 / (s.ms / 1000);
          if (round >= WARMUPS) {
            samples.get(p.name)!.push(mbps);
            const c = cpu.get(p.name)!;
            if (before !== undefined && after !== undefined) c.seconds += after - before;
            addThreadCpu(c.threads, threadCpuDelta(threadsBefore, threadsAfter));
            c.mb += s.bytes / 1e6;
          }
          log(`tls${compress ? '+compress' : ''} ${p.name}: ${mbps.toFixed(0)} MB/s`);
        }
      }
      for (const c of clients.values()) c.close();
      const gap = gapBytes(scope.logs, gapMark);
      const base = median(samples.get('plain TLS relay')!);
      const cpuPerMB = (name: string): number => {
        const c = cpu.get(name)!;
        return (c.seconds * 1000) / c.mb;
      };
      for (const p of paths) {
        const value = median(samples.get(p.name)!);
        const ratio = value / base;
        const judged = p.name === 'imapscope';
        const cpuMsPerMB = cpuPerMB(p.name);
        const c = cpu.get(p.name)!;
        const cpuByThread: Partial<Record<ThreadKind, ThreadCpu>> = {};
        const byKind = cpuByKind(c.threads, threadKinds(p.pid ?? -1, p.names.file));
        for (const [kind, t] of Object.entries(byKind) as [ThreadKind, ThreadCpu][]) {
          cpuByThread[kind] = { ms: t.ms / c.mb, sys: t.sys / c.mb };
        }
        rows.push({
          compress,
          path: p.name,
          mbPerS: Math.round(value),
          samplesMBps: samples.get(p.name)!.map((v) => Math.round(v)),
          ratioToPlainRelay: Math.round(ratio * 100) / 100,
          target: judged ? TARGET_TLS_RATIO : null,
          pass: judged ? ratio >= TARGET_TLS_RATIO : null,
          cpuMsPerMB: Math.round(cpuMsPerMB * 100) / 100,
          cpuRatioToPlainRelay: Math.round((cpuMsPerMB / cpuPerMB('plain TLS relay')) * 100) / 100,
          gapBytes: p.name === 'imapscope' ? gap : null,
          cpuByThread,
        });
      }
    }
    return rows;
  } finally {
    for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => undefined);
  }
}

if (process.argv[1] === SELF) {
  const i = process.argv.indexOf('--plain-tls-relay');
  const r = process.argv.indexOf('--relay-only');
  if (i >= 0) plainTlsRelay(process.argv.slice(i + 1));
  else if (r >= 0) await relayOnly(process.argv.slice(r + 1));
  else {
    const rows = await benchTls((m) => process.stderr.write(`[bench tls] ${m}\n`));
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  }
}
