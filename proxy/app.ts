import { readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import type { Config, HostPort } from './config.ts';
import { formatHostPort, isLoopbackHost, prepareDataDir } from './config.ts';
import { ImapscopeError } from './errors.ts';
import type { Logger } from './log.ts';
import { InspectionThread } from './inspection/thread-client.ts';
import type { InspectionConfig } from './inspection/thread-protocol.ts';
import { startListener } from './net/listener.ts';
import type { ProxiedPeer } from './net/listener.ts';
import { trustChecker } from './net/proxy-accept.ts';
import { encodeProxyV2 } from './net/proxy-header.ts';
import { relayConnection, useSessionIdSuffix } from './net/relay.ts';
import { maskArchiveUrl } from './archive/store.ts';
import { prepareTls } from './net/tls.ts';
import { loadUiTls } from './ui/ui-tls.ts';
import type { PracticeServer } from './practice/server.ts';

export interface RunningImapscope {
  listen: HostPort;
  ui: HostPort;
  upstream: HostPort;
  practice: PracticeServer | null;
  url: string;
  token: string;
  /**
   * Stops accepting, sends each session a BYE where it cannot split a message, waits up to
   * `drainMs` for sessions to end, closes the rest, lets the inspection thread record every
   * close and flush the archive, then stops it. 0 (the default): close sessions at once.
   */
  close(drainMs?: number): Promise<void>;
}

/** What every client still connected reads when imapscope shuts down. */
export const SHUTDOWN_BYE = '* BYE [UNAVAILABLE] imapscope shutting down\r\n';
/** How long closed sessions get to report their close before the inspection thread stops. */
const CLOSE_REPORT_MS = 2_000;
/** Where the built-in practice server listens (on a port the kernel picks). */
const PRACTICE_HOST = '127.0.0.1';

/** The viewer token: the configured one, else the one kept in the data dir, else a new one saved there. */
function loadToken(config: Config): string {
  if (config.token) return config.token;
  const file = join(config.dataDir, 'token');
  try {
    const saved = readFileSync(file, 'utf8').trim();
    if (saved.length >= 8) return saved;
  } catch {
    // first run: no token yet
  }
  const token = randomBytes(18).toString('base64url');
  writeFileSync(file, token + '\n', { mode: 0o600 });
  return token;
}

/**
 * Test-only hooks of the inspection thread, from the environment (see InspectionConfig): the
 * e2e tests make inspection slow or crash it, or hold archive recovery, in a real process.
 */
function testHooks(env: NodeJS.ProcessEnv): Partial<InspectionConfig> {
  const slow = Number(env.IMAPSCOPE_TEST_SLOW_INSPECTION_MS_PER_MB ?? '');
  const crash = Number(env.IMAPSCOPE_TEST_CRASH_INSPECTION_AFTER_BYTES ?? '');
  const hold = env.IMAPSCOPE_TEST_HOLD_RECOVERY_UNTIL_FILE;
  const spin = Number(env.IMAPSCOPE_TEST_SPIN_INSPECTION_AFTER_BYTES ?? '');
  return {
    ...(slow > 0 ? { testSlowMsPerMb: slow } : {}),
    ...(crash > 0 ? { testCrashAfterBytes: crash } : {}),
    ...(hold ? { testHoldRecoveryUntil: hold } : {}),
    ...(spin > 0 ? { testSpinAfterBytes: spin } : {}),
  };
}

/**
 * Starts everything a run needs: the data dir, the practice server when no
 * upstream is configured, the client listener with its relay, and the UI
 * server. Logs exactly one "ready" line when all of it is listening.
 *
 * The inspection thread is the longest step (a thread of its own that loads the decoders, the
 * hub, the archive and the UI server, opens the archive and listens on --ui), so it is spawned
 * first and the practice server and the TLS contexts are made while it starts. The client
 * listener opens only after all three: a client accepted before then would have nowhere to go.
 * When one of them fails, the others are stopped before the first failure (in the order
 * practice server, TLS, inspection thread) is thrown, so a mistake is reported the same way
 * whatever finished first.
 */
export async function startImapscope(config: Config, log: Logger): Promise<RunningImapscope> {
  const uiTls = loadUiTls(config.uiCert, config.uiKey);
  prepareDataDir(config.dataDir);
  const token = loadToken(config);
  // A non-loopback --ui without HTTPS got past the config only with --ui-insecure.
  const uiWarning =
    config.uiInsecure && !uiTls && !isLoopbackHost(config.ui.host)
      ? `--ui-insecure: the viewer, its token and all traffic it shows go over plain HTTP on ${config.ui.host}`
      : null;
  if (uiWarning) log.warn({ ui: formatHostPort(config.ui) }, uiWarning);

  // Instances sharing one archive must not mint the same session id.
  if (config.archiveUrl !== null) useSessionIdSuffix(randomBytes(4));

  // Everything that looks at the bytes (decoders, trackers, hub, archive, UI server) runs in
  // the inspection thread; this thread only relays.
  const inspectionStarted = InspectionThread.start(
    {
      dataDir: config.dataDir,
      retainDays: config.retainDays,
      maxArchiveMb: config.maxArchiveMb,
      archiveUrl: config.archiveUrl,
      instance: config.instance,
      revealSecrets: config.revealSecrets,
      literalHashes: config.literalHashes,
      // A learner typing IMAP at the practice server harms nobody; at a real server only on request.
      console: config.upstream === null || config.console,
      ui: config.ui,
      token,
      uiTls,
      uiHosts: config.uiHosts,
      metricsPublic: config.metricsPublic,
      logLevel: config.logLevel,
      prettyLogs: process.stdout.isTTY === true,
      ...testHooks(process.env),
    },
    {
      log,
      mode: config.inspection,
      // Test only: a short watchdog, so a test's stuck thread is restarted within seconds.
      ...(Number(process.env.IMAPSCOPE_TEST_INSPECTION_WATCHDOG_MS) > 0
        ? { watchdogMs: Number(process.env.IMAPSCOPE_TEST_INSPECTION_WATCHDOG_MS) }
        : {}),
      // Test only: a small best-effort backlog, so a test's few MB overflow it.
      ...(Number(process.env.IMAPSCOPE_TEST_BEST_EFFORT_BACKLOG_BYTES) > 0
        ? { backlogCap: Number(process.env.IMAPSCOPE_TEST_BEST_EFFORT_BACKLOG_BYTES) }
        : {}),
    },
  ).catch((err: Error) => {
    throw new ImapscopeError('ERR_LISTEN_FAILED', err.message);
  });

  const practiceStarted = config.upstream
    ? Promise.resolve(null)
    : // Loaded only when used: hoodiecrow and the sample mailboxes cost an --upstream run memory.
      import('./practice/server.ts').then(({ startPracticeServer }) =>
        startPracticeServer({
          host: PRACTICE_HOST,
          onCommandError: (err, command) =>
            log.warn(
              { command, err: err instanceof Error ? err.message : String(err) },
              'practice server command failed',
            ),
        }),
      );
  // The TLS contexts need the upstream's host, not its port: the practice server's is known.
  const tlsReady = prepareTls({
    ...config,
    upstream: config.upstream ?? { host: PRACTICE_HOST, port: 0 },
    listen: config.listen,
  });
  const [practiceResult, tlsResult, inspectionResult] = await Promise.allSettled([
    practiceStarted,
    tlsReady,
    inspectionStarted,
  ]);
  if (
    practiceResult.status === 'rejected' ||
    tlsResult.status === 'rejected' ||
    inspectionResult.status === 'rejected'
  ) {
    await Promise.all([
      practiceResult.status === 'fulfilled' ? practiceResult.value?.close() : null,
      inspectionResult.status === 'fulfilled' ? inspectionResult.value.stop() : null,
    ]);
    throw [practiceResult, tlsResult, inspectionResult].find((r) => r.status === 'rejected')!
      .reason;
  }
  const practice = practiceResult.value;
  const tls = tlsResult.value;
  const inspection = inspectionResult.value;
  const upstream = config.upstream ?? { host: PRACTICE_HOST, port: practice!.port };
  if (config.upstreamInsecure && config.upstreamTls !== 'none') {
    log.warn(
      { upstream: formatHostPort(upstream) },
      "--upstream-insecure: the upstream's certificate is not verified",
    );
  }

  const sessions = new Set<{ close(): void; bye(text: string): boolean }>();
  /** Resolved when the last open session has closed (for shutdown). */
  let allClosed: (() => void) | null = null;
  const limits = { idleTimeoutMs: config.idleTimeoutS * 1000 };
  let closing = false;
  const onConnection = (socket: Socket, proxied?: ProxiedPeer): void => {
    // A PROXY header that completed after shutdown began: nothing new starts.
    if (closing) return void socket.destroy();
    const s = relayConnection(socket, {
      upstream,
      log,
      tls,
      limits,
      ...(proxied ? { client: proxied.client } : {}),
      ...(config.upstreamProxyProtocol
        ? {
            upstreamPreamble: encodeProxyV2(
              proxied?.client ?? { host: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 },
              proxied?.destination ?? {
                host: socket.localAddress ?? '',
                port: socket.localPort ?? 0,
              },
            ),
          }
        : {}),
      inspect: (info, flow, transport) => inspection.inspector(info, flow, transport),
      onClose: (summary) => {
        sessions.delete(s);
        inspection.closed(summary);
        if (sessions.size === 0) allClosed?.();
      },
    });
    sessions.add(s);
  };
  const sessionsEnded = (ms: number): Promise<void> =>
    sessions.size === 0
      ? Promise.resolve()
      : new Promise((resolve) => {
          const timer = setTimeout(resolve, ms);
          allClosed = () => {
            clearTimeout(timer);
            resolve();
          };
        });

  const listener = await startListener(config.listen, onConnection, {
    maxConnections: config.maxConnections,
    plainBye: config.clientTls !== 'implicit',
    log,
    ...(config.proxyTrusted
      ? { proxyProtocol: { trusted: trustChecker(config.proxyTrusted) } }
      : {}),
  }).catch((err: NodeJS.ErrnoException) => {
    void inspection.stop();
    throw new ImapscopeError(
      'ERR_LISTEN_FAILED',
      `--listen ${formatHostPort(config.listen)}: ${err.code ?? err.message}`,
    );
  });
  // Once the thread has it, /healthz answers ok (unless the archive is being recovered).
  await inspection.listening(formatHostPort(listener.address));
  const ui = { address: inspection.ui };
  const url = `${uiTls ? 'https' : 'http'}://${formatHostPort(ui.address)}/?token=${encodeURIComponent(token)}`;
  // The ready line is the operator's contract: it is written at any level but silent. When it
  // is written, the client listener accepts (a client connecting now is relayed and
  // inspected), the upstream is known (the practice server, if used, listens), the TLS
  // contexts (and the CA) are made, and the inspection thread runs with its UI server
  // listening on --ui (viewer, API, WebSocket, /metrics) and the archive open, or, after a
  // crash, recovering in its own thread while the sessions' events wait (thread.ts). Tests,
  // scripts and the start-up benchmark wait for this line, not for a delay.
  const readyLog = log.level === 'silent' ? log : log.child({}, { level: 'info' });
  readyLog.info(
    {
      listen: formatHostPort(listener.address),
      upstream: practice ? 'practice' : formatHostPort(upstream),
      ui: formatHostPort(ui.address),
      url,
      clientTls: config.clientTls,
      upstreamTls: config.upstreamTls,
      inspection: config.inspection,
      archive:
        config.maxArchiveMb === 0
          ? 'off'
          : config.archiveUrl
            ? maskArchiveUrl(config.archiveUrl)
            : 'sqlite',
      instance: config.instance,
      ...(config.proxyTrusted
        ? { proxyProtocol: config.proxyTrusted.map((c) => `${c.address}/${c.prefix}`).join(',') }
        : {}),
      ...(config.upstreamProxyProtocol ? { upstreamProxyProtocol: true } : {}),
      ...(tls.ca ? { ca: tls.ca.certPath } : {}),
      ...(config.upstreamInsecure && config.upstreamTls !== 'none'
        ? { warning: "--upstream-insecure: the upstream's certificate is not verified" }
        : {}),
      // One `warning` field: with both, the --upstream-insecure one comes first.
      ...(uiWarning
        ? {
            warning: [
              config.upstreamInsecure && config.upstreamTls !== 'none'
                ? "--upstream-insecure: the upstream's certificate is not verified"
                : null,
              uiWarning,
            ]
              .filter(Boolean)
              .join('; '),
          }
        : {}),
      ...(practice
        ? {
            practice: {
              server: formatHostPort(upstream),
              user: practice.user,
              password: practice.password,
            },
          }
        : {}),
    },
    'ready',
  );

  return {
    listen: listener.address,
    ui: ui.address,
    upstream,
    practice,
    url,
    token,
    async close(drainMs = 0) {
      // The callback would wait for every connection; the listening socket is closed at once.
      closing = true;
      listener.server.close();
      inspection.draining();
      if (drainMs > 0) {
        for (const s of sessions) s.bye(SHUTDOWN_BYE);
        await sessionsEnded(drainMs);
      }
      for (const s of sessions) s.close();
      // Each close reaches the inspection thread (and the archive) before it is told to stop.
      await sessionsEnded(CLOSE_REPORT_MS);
      await inspection.stop();
      await practice?.close();
    },
  };
}
