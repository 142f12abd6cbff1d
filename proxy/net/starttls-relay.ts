/**
 * STARTTLS interception for the relay (`--client-tls starttls`): the relay hands every
 * chunk of both directions to this module's `c2s` and `s2c` hooks while STARTTLS is still
 * possible, and it decides what is forwarded. Once the client's leg is TLS (or the session
 * is authenticated without it) the hooks forward each chunk as it comes.
 *
 * When the client sends STARTTLS:
 * - with `--upstream-tls starttls` the command goes to the server; on its OK imapscope
 *   completes TLS with the server first, then passes the OK on and completes TLS with the
 *   client; a NO or BAD is passed on and watching goes on;
 * - with `--upstream-tls none|implicit` imapscope answers the STARTTLS itself and completes
 *   TLS with the client; the server never sees the command. In this mode STARTTLS is also
 *   added to the capability lists the client sees before TLS (advertise-starttls.ts).
 * Plaintext the client sends after STARTTLS and before its handshake is held (at most
 * MAX_TRANSPORT_HOLD_BYTES, past which the session is closed) and then dropped, never passed
 * on inside TLS; plaintext the server sends after its OK is dropped too. Both are reported.
 */
import type { Direction } from '../../shared/direction.ts';
import { MAX_TRANSPORT_HOLD_BYTES } from '../limits.ts';
import { StarttlsAdvertiser } from './advertise-starttls.ts';
import type { RelayControl, RelayHooks } from './relay-control.ts';
import { StarttlsWatcher } from './starttls.ts';
import { acceptClientTls, connectUpstreamTls, tlsEstablished } from './tls.ts';
import type { TlsSetup } from './tls.ts';

export class StarttlsInterceptor implements RelayHooks {
  private readonly watcher = new StarttlsWatcher();
  /** Only when imapscope answers STARTTLS itself (the upstream leg is not upgraded by it). */
  private readonly advertiser: StarttlsAdvertiser | null;
  private held: Buffer[] = [];
  private heldBytes = 0;

  constructor(
    private readonly relay: RelayControl,
    private readonly tls: TlsSetup,
  ) {
    this.advertiser = tls.upstream.mode === 'starttls' ? null : new StarttlsAdvertiser();
  }

  readonly c2s = (chunk: Buffer): void => {
    if (!this.watcher.active) return this.relay.send('c2s', chunk);
    const v = this.watcher.c2s(chunk);
    if (v.kind === 'hold') return this.hold(chunk);
    if (v.kind === 'forward') return this.relay.send('c2s', chunk);
    const command = chunk.subarray(0, v.end);
    if (v.end < chunk.length) this.hold(chunk.subarray(v.end));
    if (this.tls.upstream.mode === 'starttls') return this.relay.send('c2s', command);
    // The upstream leg is plain or already TLS: imapscope answers STARTTLS itself.
    this.relay.record('c2s', command);
    void this.upgrade(Buffer.from(`${v.tag} OK Begin TLS negotiation now (imapscope)\r\n`), false);
  };

  readonly s2c = (chunk: Buffer): void => {
    if (!this.watcher.active) return this.relay.send('s2c', chunk);
    const v = this.watcher.s2c(chunk);
    if (v.kind === 'forward') {
      if (!this.advertiser) return this.relay.send('s2c', chunk);
      return this.advertise(chunk, v.done);
    }
    if (v.status !== 'OK') {
      this.relay.send('s2c', chunk);
      this.watcher.refused();
      const again = this.held;
      this.held = [];
      this.heldBytes = 0;
      for (const b of again) this.c2s(b);
      return;
    }
    if (v.end < chunk.length) {
      this.relay.notice(
        'STARTTLS_INJECTION',
        's2c',
        'the server sent plaintext after its STARTTLS OK: dropped',
        chunk.length - v.end,
      );
    }
    void this.upgrade(chunk.subarray(0, v.end), true);
  };

  /** The server closed its side: a capability line held unfinished goes on unchanged first. */
  readonly end = (direction: Direction): void => {
    if (direction !== 's2c' || !this.advertiser) return;
    const rest = this.advertiser.flush();
    if (rest.length > 0) this.relay.send('s2c', rest);
  };

  /** Forwards server bytes with STARTTLS added to capability lists before `done` (if any). */
  private advertise(chunk: Buffer, done: number | undefined): void {
    const a = this.advertiser!;
    const before = a.added;
    const out =
      done === undefined
        ? a.push(chunk)
        : Buffer.concat([a.push(chunk.subarray(0, done)), a.flush(), chunk.subarray(done)]);
    if (a.added > before)
      this.relay.log.debug('STARTTLS added to the capabilities the client is shown');
    if (out.length > 0) this.relay.send('s2c', out);
  }

  private hold(data: Buffer): void {
    this.held.push(data);
    this.heldBytes += data.length;
    if (this.heldBytes > MAX_TRANSPORT_HOLD_BYTES) {
      this.relay.setReason('starttls-injection');
      this.relay.notice(
        'STARTTLS_INJECTION',
        'c2s',
        `over ${MAX_TRANSPORT_HOLD_BYTES} bytes of plaintext after STARTTLS: session closed`,
        this.heldBytes,
      );
      this.relay.destroyAll();
    }
  }

  /** STARTTLS accepted: TLS with the upstream first (when `upstreamToo`), then with the client. */
  private async upgrade(answer: Buffer, upstreamToo: boolean): Promise<void> {
    const relay = this.relay;
    relay.detach();
    const up = this.tls.upstream;
    if (upstreamToo) {
      let secured;
      try {
        secured = await connectUpstreamTls(relay.raws.upstream, up);
      } catch (err) {
        // The client has not seen the OK yet: the BYE reaches it in plaintext.
        relay.upstreamTlsFailed(err as NodeJS.ErrnoException);
        return;
      }
      relay.adopt('upstream', secured);
      relay.transport(tlsEstablished(secured, 'upstream', 'starttls', up.servername));
    }
    const raw = relay.raws.client;
    const buffered = raw.read() as Buffer | null;
    if (buffered) this.hold(buffered);
    if (this.heldBytes > 0) {
      relay.notice(
        'STARTTLS_INJECTION',
        'c2s',
        `${this.heldBytes} bytes sent in plaintext after STARTTLS were dropped, never passed on inside TLS`,
        this.heldBytes,
      );
    }
    this.held = [];
    this.heldBytes = 0;
    raw.write(answer);
    relay.record('s2c', answer);
    const { socket, secure } = acceptClientTls(raw, this.tls.client);
    relay.adopt('client', socket);
    try {
      await secure;
    } catch (err) {
      relay.clientTlsFailed(err as NodeJS.ErrnoException);
      return;
    }
    relay.transport(tlsEstablished(socket, 'client', 'starttls'));
    this.watcher.upgraded();
    // A server line that was being held when the client sent STARTTLS goes on inside TLS.
    const rest = this.advertiser?.flush();
    if (rest && rest.length > 0) relay.send('s2c', rest);
    relay.attach();
  }
}
