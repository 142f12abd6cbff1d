/**
 * `npm run bench:profile`: where imapscope spends its CPU on the relay benchmark's workloads.
 * Runs the real imapscope command under `node --cpu-prof` against a private Dovecot, drives
 * bulk FETCHes and NOOP round-trips through it, stops it with SIGTERM (the profiles of the
 * relay thread and of the inspection thread are written on exit), and prints each thread's
 * functions by self time. Not a benchmark: profiling slows everything; read the shares.
 *
 * PROFILE_CPU_ONLY=1 runs without the profiler and prints only the CPU time imapscope used per
 * workload (from /proc): the figure to compare before and after a change.
 *
 *   PROFILE_WORKLOAD=bulk|compress|noop|sessions|all (default all; compress = the bulk fetches
 *   after COMPRESS=DEFLATE; sessions = 5 rounds of 200 concurrent sessions with a WebSocket
 *   viewer attached)   PROFILE_KEEP=1 keeps the .cpuprofile files
 *   PROFILE_VIEWER=0 runs the sessions without a viewer
 *   PROFILE_ARGS="--log-level warn ..." more imapscope flags (to see what one part costs)
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { startDovecot } from '../helpers/dovecot.ts';
import { startImapscope, type Imapscope } from '../helpers/imapscope.ts';
import { cpuSeconds, progress, threadCpuDelta, threadCpuMs, threadKinds } from './stats.ts';
import { Viewer } from './viewer.ts';
import {
  BULK_MESSAGES,
  BULK_MESSAGE_BYTES,
  bulkConnection,
  bulkFetch,
  concurrentSessions,
  login,
  prepareMail,
  threadNames,
  type Endpoint,
} from './workload.ts';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/**
 * The bulk workload after COMPRESS=DEFLATE: LOGIN, COMPRESS, SELECT, then `rounds` bulk
 * FETCHes, each command deflated, the answers inflated. Resolves with the inflated bytes.
 */
async function compressedBulk(p: Endpoint, user: string, pass: string, rounds: number) {
  const socket = net.connect(p.port, p.host);
  socket.setNoDelay(true);
  let text = '';
  let bytes = 0;
  let waiter: { tag: string; resolve: () => void; reject: (e: Error) => void } | null = null;
  const onPlain = (d: Buffer): void => {
    bytes += d.length;
    // Only the tail can hold a tagged completion; the bodies are not kept.
    text = (text + d.toString('latin1')).slice(-4096);
    const w = waiter;
    if (!w) return;
    const m = new RegExp(`(?:^|\n)${w.tag} (OK|NO|BAD)[^\n]*\n`).exec(text);
    if (!m) return;
    waiter = null;
    text = '';
    if (m[1] === 'OK') w.resolve();
    else w.reject(new Error(`${w.tag}: ${m[0].trim()}`));
  };
  let inflate: zlib.InflateRaw | null = null;
  socket.on('data', (d: Buffer) => (inflate ? inflate.write(d) : onPlain(d)));
  let deflating = false;
  let n = 0;
  const command = (line: string): Promise<void> => {
    const tag = `z${++n}`;
    const done = new Promise<void>((resolve, reject) => (waiter = { tag, resolve, reject }));
    const bytes = Buffer.from(`${tag} ${line}\r\n`);
    // Each command one sync-flushed piece of the client's deflate stream.
    socket.write(
      deflating ? zlib.deflateRawSync(bytes, { finishFlush: zlib.constants.Z_SYNC_FLUSH }) : bytes,
    );
    return done;
  };
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.once('data', () => resolve());
  });
  await command(`LOGIN ${user} ${pass}`);
  // Everything after the OK line comes deflated: the OK is the last plain line read.
  await command('COMPRESS DEFLATE');
  inflate = zlib.createInflateRaw({ chunkSize: 256 * 1024 });
  inflate.on('data', onPlain);
  deflating = true;
  await command('SELECT INBOX');
  const before = bytes;
  for (let i = 0; i < rounds; i++) {
    await command(`UID FETCH 1:${BULK_MESSAGES} BODY.PEEK[]`);
    progress(`compressed bulk fetch ${i + 1}/${rounds}`);
  }
  const fetched = bytes - before;
  if (fetched < rounds * BULK_MESSAGES * BULK_MESSAGE_BYTES)
    throw new Error(`compressed bulk fetch: only ${fetched} bytes`);
  await command('LOGOUT');
  socket.destroy();
  return fetched;
}

/** Self time per function (ms), biggest first. */
export function selfTimes(profile: CpuProfile): { name: string; ms: number }[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const totals = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const f = byId.get(id)?.callFrame;
    if (!f) return;
    const file = f.url ? path.basename(f.url.replace(/^file:\/\//, '')) : '';
    const name = `${f.functionName || '(anonymous)'} ${file}${file ? `:${f.lineNumber + 1}` : ''}`;
    totals.set(name, (totals.get(name) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  return [...totals].map(([name, ms]) => ({ name, ms })).sort((a, b) => b.ms - a.ms);
}

async function main(): Promise<void> {
  const workload = process.env.PROFILE_WORKLOAD ?? 'all';
  const run = (w: string): boolean => workload === 'all' || workload === w;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'imapscope-profile-'));
  progress('starting Dovecot and writing the bulk mail');
  const dovecot = await startDovecot();
  const names = threadNames('profile');
  let scope: Imapscope | undefined;
  try {
    await prepareMail(dovecot);
    const cpuOnly = process.env.PROFILE_CPU_ONLY === '1';
    scope = await startImapscope(
      [
        '--upstream',
        `${dovecot.host}:${dovecot.port}`,
        ...(process.env.PROFILE_ARGS ? process.env.PROFILE_ARGS.split(' ') : []),
      ],
      names.env,
      [
        ...names.nodeArgs,
        ...(process.env.PROFILE_NODE_ARGS
          ? process.env.PROFILE_NODE_ARGS.split(' ')
          : cpuOnly
            ? []
            : ['--cpu-prof', `--cpu-prof-dir=${dir}`]),
      ],
    );
    const pid = scope.process.pid;
    // Each thread by kind (inspection, raw writer, V8 platform...) rather than by number.
    const label = (tid: number): string =>
      pid === undefined
        ? String(tid)
        : `${threadKinds(pid, names.file).get(tid) ?? 'other'} ${tid}`;
    let cpuMark = cpuSeconds(pid) ?? 0;
    let threadMark = threadCpuMs(pid);
    const cpuSince = (what: string): void => {
      const now = cpuSeconds(pid) ?? 0;
      const threads = threadCpuMs(pid);
      const busy = [...threadCpuDelta(threadMark, threads)]
        .map(([tid, t]) => ({ tid, ...t }))
        .filter((t) => t.ms > 0)
        .sort((a, b) => b.ms - a.ms)
        .map((t) => `${label(t.tid)}: ${t.ms} (sys ${t.sys})`);
      console.log(
        `imapscope CPU for ${what}: ${((now - cpuMark) * 1000).toFixed(0)} ms ` +
          `(per thread, ms, of it kernel time: ${busy.join(', ')})`,
      );
      cpuMark = now;
      threadMark = threads;
    };
    if (run('bulk')) {
      const d = await bulkConnection(scope.listen, dovecot);
      for (let i = 0; i < 5; i++) {
        const s = await bulkFetch(d);
        progress(`bulk fetch ${i + 1}/5: ${s.mbPerS.toFixed(0)} MB/s`);
      }
      await d.logout();
      await new Promise((r) => setTimeout(r, 1_000));
      cpuSince('5 bulk fetches (525 MB)');
    }
    if (run('compress')) {
      const fetched = await compressedBulk(scope.listen, dovecot.user, dovecot.password, 5);
      await new Promise((r) => setTimeout(r, 1_000));
      cpuSince(`5 bulk fetches after COMPRESS (${Math.round(fetched / 1e6)} MB inflated)`);
    }
    if (run('noop')) {
      const d = await login(scope.listen, dovecot.user, dovecot.password);
      await d.ok('SELECT INBOX');
      for (let i = 0; i < 2_000; i++) await d.ok('NOOP');
      progress('2,000 NOOPs done');
      await d.logout();
      await new Promise((r) => setTimeout(r, 1_000));
      cpuSince('2,000 NOOPs');
    }
    if (run('sessions')) {
      const viewer = process.env.PROFILE_VIEWER === '0' ? null : await Viewer.open(scope.url);
      for (let i = 0; i < 5; i++) {
        const s = await concurrentSessions(
          scope.listen,
          dovecot.user2.user,
          dovecot.user2.password,
        );
        progress(`200 sessions ${i + 1}/5: ${s.completed} completed in ${s.totalMs.toFixed(0)} ms`);
      }
      viewer?.ws.close();
      await new Promise((r) => setTimeout(r, 1_000));
      cpuSince(`5 × 200 sessions ${viewer ? 'with' : 'without'} a viewer`);
    }
    const gaps = scope.logs.filter((l) => String(l.msg).includes('inspection gap')).length;
    console.log(`inspection gap log lines: ${gaps}`);
    // What else imapscope complained of (pino levels: 40 warn, 50 error), by message.
    const complaints = new Map<string, number>();
    for (const l of scope.logs.filter((l) => typeof l.level === 'number' && l.level >= 40)) {
      complaints.set(String(l.msg), (complaints.get(String(l.msg)) ?? 0) + 1);
    }
    for (const [msg, n] of complaints) console.log(`  ${n}× ${msg}`);
    await scope.stop();
    // After the exit: V8's own output (--trace-gc) is block-buffered on a pipe until then.
    if (process.env.PROFILE_NODE_ARGS) console.log(scope.nonJsonLines?.join('\n') ?? '');
    const files = (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile'));
    for (const f of files) {
      const profile = JSON.parse(await readFile(path.join(dir, f), 'utf8')) as CpuProfile;
      const rows = selfTimes(profile);
      const total = rows.reduce((a, r) => a + r.ms, 0);
      const idle = rows.find((r) => r.name.startsWith('(idle)'))?.ms ?? 0;
      console.log(`\n${f}: ${(total - idle).toFixed(0)} ms busy of ${total.toFixed(0)} ms`);
      for (const r of rows.filter((r) => !r.name.startsWith('(idle)')).slice(0, 25)) {
        console.log(`${r.ms.toFixed(1).padStart(9)} ms  ${r.name}`);
      }
    }
    if (process.env.PROFILE_KEEP === '1') console.log(`\nprofiles kept in ${dir}`);
    else await rm(dir, { recursive: true, force: true });
  } finally {
    // Also on a failure: a profiled process left behind keeps its sampler threads busy.
    await scope?.stop();
    await dovecot.stop();
    names.remove();
  }
}

await main();
