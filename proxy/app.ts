import { mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import type { Config, HostPort } from './config.ts';
import { formatHostPort, isLoopbackHost } from './config.ts';
import { ImapscopeError } from './errors.ts';
import type { Logger } from './log.ts';
import { InspectionThread } from './inspection/thread-client.ts';
import { startListener } from './net/listener.ts';
import { relayConnection } from './net/relay.ts';
import { prepareTls } from './net/tls.ts';
import { startPracticeServer } from './practice/server.ts';
import { loadUiTls } from './ui/ui-tls.ts';
import type { PracticeServer } from './practice/server.ts';

export interface RunningImapscope {
  listen: HostPort;
  ui: HostPort;
  upstream: HostPort;
  practice: PracticeServer | null;
  url: string;
  token: string;
  close(): Promise<void>;
}

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
 * Starts everything a run needs: the data dir, the practice server when no
 * upstream is configured, the client listener with its relay, and the UI
 * server. Logs exactly one "ready" line when all of it is listening.
 */
export async function startImapscope(config: Config, log: Logger): Promise<RunningImapscope> {
  const uiTls = loadUiTls(config.uiCert, config.uiKey);
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  chmodSync(config.dataDir, 0o700);
  const token = loadToken(config);
  // A non-loopback --ui without HTTPS got past the config only with --ui-insecure.
  const uiWarning =
    config.uiInsecure && !uiTls && !isLoopbackHost(config.ui.host)
      ? `--ui-insecure: the viewer, its token and all traffic it shows go over plain HTTP on ${config.ui.host}`
      : null;
  if (uiWarning) log.warn({ ui: formatHostPort(config.ui) }, uiWarning);

  const practice = config.upstream
    ? null
    : await startPracticeServer({
        onCommandError: (err, command) =>
          log.warn(
            { command, err: err instanceof Error ? err.message : String(err) },
            'practice server command failed',
          ),
      });
  const upstream = config.upstream ?? { host: practice!.host, port: practice!.port };
  const tls = await prepareTls({ ...config, upstream, listen: config.listen });
  if (config.upstreamInsecure && config.upstreamTls !== 'none') {
    log.warn(
      { upstream: formatHostPort(upstream) },
      "--upstream-insecure: the upstream's certificate is not verified",
    );
  }

  // Everything that looks at the bytes (decoders, trackers, hub, archive, UI server) runs in
  // the inspection thread; this thread only relays.
  const inspection = await InspectionThread.start({
    dataDir: config.dataDir,
    retainDays: config.retainDays,
    maxArchiveMb: config.maxArchiveMb,
    revealSecrets: config.revealSecrets,
    ui: config.ui,
    token,
    uiTls,
    uiHosts: config.uiHosts,
    logLevel: config.logLevel,
    prettyLogs: process.stdout.isTTY === true,
  }).catch((err: Error) => {
    throw new ImapscopeError('ERR_LISTEN_FAILED', err.message);
  });
  const sessions = new Set<{ close(): void }>();
  const onConnection = (socket: Socket): void => {
    const s = relayConnection(socket, {
      upstream,
      log,
      tls,
      inspect: (info) => inspection.inspector(info),
      onClose: (summary) => {
        sessions.delete(s);
        inspection.closed(summary);
      },
    });
    sessions.add(s);
  };

  const listener = await startListener(config.listen, onConnection).catch(
    (err: NodeJS.ErrnoException) => {
      void inspection.stop();
      throw new ImapscopeError(
        'ERR_LISTEN_FAILED',
        `--listen ${formatHostPort(config.listen)}: ${err.code ?? err.message}`,
      );
    },
  );
  inspection.listening(formatHostPort(listener.address));
  const ui = { address: inspection.ui };
  const url = `${uiTls ? 'https' : 'http'}://${formatHostPort(ui.address)}/?token=${encodeURIComponent(token)}`;
  // The ready line is the operator's contract: it is written at any level but silent.
  const readyLog = log.level === 'silent' ? log : log.child({}, { level: 'info' });
  readyLog.info(
    {
      listen: formatHostPort(listener.address),
      upstream: practice ? 'practice' : formatHostPort(upstream),
      ui: formatHostPort(ui.address),
      url,
      clientTls: config.clientTls,
      upstreamTls: config.upstreamTls,
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
    async close() {
      for (const s of sessions) s.close();
      await Promise.all([
        new Promise<void>((r) => listener.server.close(() => r())),
        inspection.stop(),
      ]);
      await practice?.close();
    },
  };
}
