/**
 * The listener's side of the PROXY protocol: is the connection from a trusted load balancer,
 * and which client does its header name. Runs before the relay starts, so a refused
 * connection never reaches the upstream; what follows the header in the same chunk is put
 * back on the socket for the relay, so no client byte is lost.
 */
import { BlockList, isIP } from 'node:net';
import type { Socket } from 'node:net';
import type { HostPort } from '../config.ts';
import { PROXY_HEADER_MAX_BYTES, PROXY_HEADER_TIMEOUT_MS } from '../limits.ts';
import type { Cidr } from './cidr.ts';
import { parseProxyHeader, unmap } from './proxy-header.ts';
import type { ProxyErrorCode, ProxyHeader } from './proxy-header.ts';

/** Whether an address is in one of the trusted networks (a v4-mapped IPv6 peer counts as IPv4). */
export function trustChecker(cidrs: readonly Cidr[]): (address: string) => boolean {
  const list = new BlockList();
  for (const c of cidrs) list.addSubnet(c.address, c.prefix, c.family === 4 ? 'ipv4' : 'ipv6');
  return (address) => {
    const a = unmap(address);
    const family = isIP(a);
    if (family === 0) return false;
    return list.check(a, family === 4 ? 'ipv4' : 'ipv6');
  };
}

export type ProxyAcceptResult =
  | { ok: true; header: ProxyHeader }
  | { ok: false; code: ProxyErrorCode | 'ERR_PROXY_TIMEOUT' | 'ERR_PROXY_CLOSED'; message: string };

/**
 * Reads the PROXY header from a paused socket, then pauses it again with the bytes after the
 * header put back (unshift), as if nothing had been read. Resolves with the header, or with
 * why there is none: malformed, not a header at all, the peer closed, or not complete within
 * `timeoutMs`. Never rejects; the caller refuses the connection on `ok: false`.
 */
export function readProxyHeader(
  socket: Socket,
  timeoutMs = PROXY_HEADER_TIMEOUT_MS,
  maxBytes = PROXY_HEADER_MAX_BYTES,
): Promise<ProxyAcceptResult> {
  return new Promise((resolve) => {
    let received: Buffer = Buffer.alloc(0);
    let done = false;
    const finish = (result: ProxyAcceptResult, rest?: Buffer): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.pause();
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.off('error', onEnd);
      if (rest && rest.length > 0) socket.unshift(rest);
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
      const r = parseProxyHeader(received, maxBytes);
      if (r.type === 'incomplete') return;
      if (r.type === 'error') return finish({ ok: false, code: r.code, message: r.message });
      finish({ ok: true, header: r.header }, received.subarray(r.length));
    };
    const onEnd = (): void =>
      finish({
        ok: false,
        code: 'ERR_PROXY_CLOSED',
        message: 'the connection closed before its PROXY header was complete',
      });
    const timer = setTimeout(
      () =>
        finish({
          ok: false,
          code: 'ERR_PROXY_TIMEOUT',
          message: `no complete PROXY header within ${timeoutMs} ms`,
        }),
      timeoutMs,
    );
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('close', onEnd);
    socket.on('error', onEnd);
    socket.resume();
  });
}

/** The client a header names, or the socket's own peer for LOCAL/UNKNOWN headers. */
export function clientOf(header: ProxyHeader, socket: Socket): HostPort {
  return header.command === 'proxy'
    ? header.source
    : { host: socket.remoteAddress ?? '?', port: socket.remotePort ?? 0 };
}

/** What the client dialled (the balancer's frontend), or this socket's local end. */
export function destinationOf(header: ProxyHeader, socket: Socket): HostPort {
  return header.command === 'proxy'
    ? header.destination
    : { host: socket.localAddress ?? '?', port: socket.localPort ?? 0 };
}
