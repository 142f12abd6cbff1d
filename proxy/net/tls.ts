/**
 * TLS on the two legs: the client leg (imapscope is the TLS server, with a leaf from its own
 * CA or the operator's --cert/--key) and the upstream leg (imapscope is the TLS client and
 * verifies the server against the system trust store, --upstream-ca, or not at all with
 * --upstream-insecure). Contexts are built once per process; handshakes are per session.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { Socket } from 'node:net';
import tls from 'node:tls';
import type { PeerCertificate, SecureContext, TLSSocket } from 'node:tls';
import type { TlsCertificateSummary } from '../../shared/events.ts';
import type { HostPort } from '../config.ts';
import { ConfigError } from '../errors.ts';
import { TLS_HANDSHAKE_TIMEOUT_MS } from '../limits.ts';
import type { CertificateAuthority } from './ca.ts';
import type { TransportEvent } from './tap.ts';

import type { TlsMode } from './tls-modes.ts';

export type { TlsMode } from './tls-modes.ts';

/** Where Debian (and most Linux systems) keep the system's trusted CAs, local additions included. */
const SYSTEM_CA_BUNDLES = [
  '/etc/ssl/certs/ca-certificates.crt',
  '/etc/pki/tls/certs/ca-bundle.crt',
];

export interface ClientTls {
  mode: TlsMode;
  /** Context for clients that send no SNI (or all clients, with --cert/--key). */
  context: SecureContext | null;
  /** Issues a leaf for the SNI name; null with --cert/--key. */
  sni: ((name: string, cb: (err: Error | null, ctx?: SecureContext) => void) => void) | null;
}

export interface UpstreamTls {
  mode: TlsMode;
  context: SecureContext | null;
  /** The host checked against the certificate. */
  host: string;
  /** Sent as SNI: the upstream host unless it is an IP address (SNI carries names only). */
  servername: string | undefined;
  insecure: boolean;
}

export interface TlsSetup {
  client: ClientTls;
  upstream: UpstreamTls;
  /** The CA, when the client leg uses one. */
  ca: CertificateAuthority | null;
}

export interface TlsOptions {
  clientTls: TlsMode;
  upstreamTls: TlsMode;
  dataDir: string;
  listen: HostPort;
  upstream: HostPort;
  cert: string | null;
  key: string | null;
  upstreamCa: string | null;
  upstreamInsecure: boolean;
}

function readPem(flag: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(
      flag,
      `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? err}`,
    );
  }
}

/** The names a leaf for clients without SNI carries: the upstream host and the loopback names. */
function defaultNames(o: TlsOptions): string[] {
  const names = [o.upstream.host, 'localhost', '127.0.0.1', '::1'];
  if (!['0.0.0.0', '::', ''].includes(o.listen.host)) names.push(o.listen.host);
  return names;
}

/** Builds both legs' contexts once: loads (or creates) the CA when the client leg needs it. */
export async function prepareTls(o: TlsOptions): Promise<TlsSetup> {
  let client: ClientTls = { mode: o.clientTls, context: null, sni: null };
  let ca: CertificateAuthority | null = null;
  if (o.clientTls !== 'none') {
    if (o.cert || o.key) {
      if (!o.cert || !o.key)
        throw new ConfigError(o.cert ? '--key' : '--cert', 'both --cert and --key are needed');
      let context: SecureContext;
      try {
        context = tls.createSecureContext({
          cert: readPem('--cert', o.cert),
          key: readPem('--key', o.key),
        });
      } catch (err) {
        if (err instanceof ConfigError) throw err;
        throw new ConfigError('--cert', `unusable certificate or key: ${(err as Error).message}`);
      }
      client = { mode: o.clientTls, context, sni: null };
    } else {
      // Loaded only when the client leg needs it: @peculiar/x509 and its ASN.1 modules are the
      // largest part of the relay thread's code, and most runs use no TLS on the client leg.
      const { CertificateAuthority } = await import('./ca.ts');
      const authority = await CertificateAuthority.load(o.dataDir);
      ca = authority;
      client = {
        mode: o.clientTls,
        context: await authority.contextFor(defaultNames(o)),
        sni: (name, cb) => {
          authority.contextFor([name]).then(
            (ctx) => cb(null, ctx),
            (err: Error) => cb(err),
          );
        },
      };
    }
  }
  let context: SecureContext | null = null;
  if (o.upstreamTls !== 'none') {
    const roots = o.upstreamCa
      ? [readPem('--upstream-ca', o.upstreamCa)]
      : [
          ...tls.rootCertificates,
          ...SYSTEM_CA_BUNDLES.filter((f) => existsSync(f)).map((f) => readFileSync(f, 'utf8')),
        ];
    try {
      context = tls.createSecureContext({ ca: roots });
    } catch (err) {
      throw new ConfigError('--upstream-ca', `no usable certificate: ${(err as Error).message}`);
    }
  }
  const upstream: UpstreamTls = {
    mode: o.upstreamTls,
    context,
    host: o.upstream.host,
    servername: isIP(o.upstream.host) ? undefined : o.upstream.host,
    insecure: o.upstreamInsecure,
  };
  return { client, upstream, ca };
}

/**
 * Settles with the handshake of `socket`: resolves on `doneEvent`; rejects with the TLS error,
 * with `closeMessage` when the peer hangs up mid-handshake (TLS emits no error then), or after
 * TLS_HANDSHAKE_TIMEOUT_MS (code ETIMEDOUT). On failure the socket is destroyed; either way
 * the listeners added here are removed once it settles.
 */
function handshake(
  socket: TLSSocket,
  doneEvent: 'secure' | 'secureConnect',
  closeMessage: string,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      clearTimeout(timer);
      socket.off('error', fail);
      socket.off('close', onClose);
      socket.off(doneEvent, onDone);
    };
    function fail(err: Error): void {
      cleanup();
      // A failed socket may still report a late reset; nobody else listens to it any more.
      socket.on('error', () => {});
      reject(err);
      socket.destroy();
    }
    const onClose = (): void => fail(new Error(closeMessage));
    const onDone = (): void => {
      cleanup();
      resolve();
    };
    const timer = setTimeout(
      () =>
        fail(
          Object.assign(new Error(`no TLS handshake within ${TLS_HANDSHAKE_TIMEOUT_MS} ms`), {
            code: 'ETIMEDOUT',
          }),
        ),
      TLS_HANDSHAKE_TIMEOUT_MS,
    );
    socket.once('error', fail);
    socket.once('close', onClose);
    socket.once(doneEvent, onDone);
  });
}

/**
 * Wraps a client connection as its TLS server. `secure` resolves when the handshake is done
 * and rejects with the handshake error (the socket is then destroyed).
 */
export function acceptClientTls(
  raw: Socket,
  leg: ClientTls,
): { socket: TLSSocket; secure: Promise<void> } {
  const socket = new tls.TLSSocket(raw, {
    isServer: true,
    requestCert: false,
    ...(leg.context ? { secureContext: leg.context } : {}),
    ...(leg.sni ? { SNICallback: leg.sni } : {}),
  });
  const secure = handshake(
    socket,
    'secure',
    'the client closed the connection during the TLS handshake',
  );
  return { socket, secure };
}

/**
 * Starts TLS as the client on an upstream connection and resolves once the server is
 * verified (unless insecure). Rejects with Node's verification error (its `code` says why).
 */
export async function connectUpstreamTls(raw: Socket, leg: UpstreamTls): Promise<TLSSocket> {
  const socket = tls.connect({
    socket: raw,
    host: leg.host,
    ...(leg.servername ? { servername: leg.servername } : {}),
    ...(leg.context ? { secureContext: leg.context } : {}),
    rejectUnauthorized: !leg.insecure,
  });
  await handshake(
    socket,
    'secureConnect',
    'the upstream closed the connection during the TLS handshake',
  );
  return socket;
}

/** `CN=x, O=y` from Node's parsed name object. */
function formatName(name: Record<string, string | string[]> | undefined): string {
  if (!name) return '';
  return Object.entries(name)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : v}`)
    .join(', ');
}

function summarize(
  cert: PeerCertificate | object | null | undefined,
): TlsCertificateSummary | null {
  if (!cert || !('fingerprint256' in cert) || !cert.fingerprint256) return null;
  return {
    subject: formatName(cert.subject as unknown as Record<string, string>),
    issuer: formatName(cert.issuer as unknown as Record<string, string>),
    subjectAltName: cert.subjectaltname ?? null,
    fingerprint256: cert.fingerprint256,
    validFrom: cert.valid_from,
    validTo: cert.valid_to,
  };
}

/** The tls.established event of a leg whose handshake just completed. */
export function tlsEstablished(
  socket: TLSSocket,
  leg: 'client' | 'upstream',
  via: 'implicit' | 'starttls',
  sentSni?: string,
): TransportEvent {
  const cipher = socket.getCipher();
  const servername =
    leg === 'client' ? (socket as TLSSocket & { servername?: string | false }).servername : sentSni;
  const alpn = socket.alpnProtocol;
  return {
    type: 'tls.established',
    leg,
    via,
    protocol: socket.getProtocol(),
    cipher: cipher?.standardName ?? cipher?.name ?? null,
    sni: typeof servername === 'string' && servername ? servername : null,
    alpn: typeof alpn === 'string' ? alpn : null,
    authorized: leg === 'upstream' ? socket.authorized : null,
    authorizationError:
      leg === 'upstream' && socket.authorizationError ? String(socket.authorizationError) : null,
    certificate: summarize(
      leg === 'upstream' ? socket.getPeerCertificate() : socket.getCertificate(),
    ),
    at: Date.now(),
  };
}

/** One line for the client's BYE and the log: why the upstream's TLS failed. */
export function describeTlsError(err: NodeJS.ErrnoException): string {
  const code = err.code ?? '';
  const verification = /CERT|SELF_SIGNED|UNABLE_TO|VERIFY|ALTNAME|ISSUER/i.test(code);
  return `${verification ? 'certificate verification failed' : 'TLS handshake failed'}: ${err.message}${code ? ` (${code})` : ''}`;
}
