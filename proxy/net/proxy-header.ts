/**
 * The PROXY protocol header (HAProxy's spec, versions 1 and 2), sans-I/O: bytes in, a value
 * out. A load balancer sends it first on each connection it opens to imapscope, naming the
 * real client; everything after it is the client's own bytes and is never looked at here.
 * Results are values ("incomplete" included); nothing in this file throws on any input.
 */
import { isIP } from 'node:net';
import type { HostPort } from '../config.ts';
import { PROXY_HEADER_MAX_BYTES } from '../limits.ts';

/** The 12 bytes every v2 header starts with. */
export const PROXY_V2_SIGNATURE = Buffer.from([
  0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
]);
const V1_PREFIX = Buffer.from('PROXY ', 'latin1');
/** v1: the whole line, CRLF included, is at most this long (spec §2.1). */
export const PROXY_V1_MAX_BYTES = 107;

/** One v2 Type-Length-Value: PP2_TYPE_ALPN (0x01), AUTHORITY (0x02), UNIQUE_ID (0x05), SSL (0x20)… */
export interface ProxyTlv {
  type: number;
  value: Buffer;
}

export type ProxyHeader =
  | {
      /** The load balancer relays a client: `source` is that client, `destination` what it dialled. */
      command: 'proxy';
      version: 1 | 2;
      family: 'tcp4' | 'tcp6';
      source: HostPort;
      destination: HostPort;
      tlvs: ProxyTlv[];
    }
  | {
      /**
       * v2 LOCAL (the balancer's own health check) or v1 UNKNOWN / v2 UNSPEC: no client is
       * named; the connection's own addresses stand (spec: "the receiver must use the real
       * connection endpoints").
       */
      command: 'local';
      version: 1 | 2;
      tlvs: ProxyTlv[];
    };

export type ProxyErrorCode =
  | 'ERR_PROXY_MISSING' // the first bytes are not a PROXY header at all (a client speaking IMAP)
  | 'ERR_PROXY_MALFORMED'
  | 'ERR_PROXY_TOO_LONG'
  | 'ERR_PROXY_UNSUPPORTED'; // a well-formed v2 header for UDP or a UNIX socket: not a TCP client

export type ProxyParse =
  | { type: 'incomplete' }
  /** `length`: how many bytes the header took; the client's bytes start there. */
  | { type: 'header'; header: ProxyHeader; length: number }
  | { type: 'error'; code: ProxyErrorCode; message: string };

const INCOMPLETE: ProxyParse = { type: 'incomplete' };
const fail = (code: ProxyErrorCode, message: string): ProxyParse => ({
  type: 'error',
  code,
  message,
});

/** Whether `buf` is a prefix of `whole` (the empty buffer is a prefix of everything). */
function isPrefixOf(buf: Buffer, whole: Buffer): boolean {
  const n = Math.min(buf.length, whole.length);
  return buf.subarray(0, n).equals(whole.subarray(0, n));
}

/**
 * Reads a PROXY header (v1 or v2) from the start of `buf`, which holds everything received
 * on the connection so far. `incomplete` until the whole header is there: a v1 line of
 * exactly 107 bytes (CRLF included) is accepted, one without CRLF in its first 107 bytes is
 * `ERR_PROXY_TOO_LONG`; a v2 header longer than `maxBytes` likewise (decided from its first
 * 16 bytes, before the rest arrives). Bytes that cannot start either version are
 * `ERR_PROXY_MISSING` as soon as they arrive. Strict: v1 addresses must be IP literals of
 * the named family, ports decimal 0–65535 without leading zeros, single spaces; v2 TLVs must
 * fill the announced length exactly.
 */
export function parseProxyHeader(buf: Buffer, maxBytes = PROXY_HEADER_MAX_BYTES): ProxyParse {
  if (buf.length === 0) return INCOMPLETE;
  if (buf[0] === 0x0d) return parseV2(buf, maxBytes);
  if (buf[0] === 0x50) return parseV1(buf);
  return fail('ERR_PROXY_MISSING', 'the connection did not start with a PROXY header');
}

const PORT = /^(0|[1-9][0-9]{0,4})$/;

function parseV1(buf: Buffer): ProxyParse {
  if (!isPrefixOf(buf, V1_PREFIX))
    return fail('ERR_PROXY_MISSING', 'the connection did not start with a PROXY header');
  const window = buf.subarray(0, PROXY_V1_MAX_BYTES);
  const cr = window.indexOf(0x0d);
  // Only printable US-ASCII and single spaces belong on the line.
  const end = cr < 0 ? window.length : cr;
  for (let i = 0; i < end; i++) {
    const b = window[i]!;
    if (b < 0x20 || b > 0x7e)
      return fail('ERR_PROXY_MALFORMED', 'PROXY v1: a control or non-ASCII byte in the line');
  }
  if (cr < 0) {
    return buf.length >= PROXY_V1_MAX_BYTES
      ? fail('ERR_PROXY_TOO_LONG', `PROXY v1: no CRLF within ${PROXY_V1_MAX_BYTES} bytes`)
      : INCOMPLETE;
  }
  if (cr + 1 >= window.length) {
    return buf.length >= PROXY_V1_MAX_BYTES
      ? fail('ERR_PROXY_TOO_LONG', `PROXY v1: no CRLF within ${PROXY_V1_MAX_BYTES} bytes`)
      : INCOMPLETE;
  }
  if (window[cr + 1] !== 0x0a) return fail('ERR_PROXY_MALFORMED', 'PROXY v1: CR without LF');
  const length = cr + 2;
  const line = window.toString('latin1', 0, cr);
  const parts = line.split(' ');
  if (parts[1] === 'UNKNOWN') {
    // The spec lets a sender put anything after UNKNOWN; the receiver ignores it.
    return { type: 'header', header: { command: 'local', version: 1, tlvs: [] }, length };
  }
  if (parts.length !== 6)
    return fail('ERR_PROXY_MALFORMED', 'PROXY v1: expected 6 fields separated by single spaces');
  const [, proto, src, dst, sport, dport] = parts as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const want = proto === 'TCP4' ? 4 : proto === 'TCP6' ? 6 : 0;
  if (want === 0) return fail('ERR_PROXY_MALFORMED', `PROXY v1: unknown protocol '${proto}'`);
  if (isIP(src) !== want || isIP(dst) !== want)
    return fail('ERR_PROXY_MALFORMED', `PROXY v1: addresses are not ${proto} literals`);
  if (!PORT.test(sport) || !PORT.test(dport) || Number(sport) > 65535 || Number(dport) > 65535)
    return fail('ERR_PROXY_MALFORMED', 'PROXY v1: ports must be decimal 0-65535');
  return {
    type: 'header',
    header: {
      command: 'proxy',
      version: 1,
      family: want === 4 ? 'tcp4' : 'tcp6',
      source: { host: src, port: Number(sport) },
      destination: { host: dst, port: Number(dport) },
      tlvs: [],
    },
    length,
  };
}

/** Address block sizes of v2's families (spec §2.2): INET, INET6, UNIX. */
const V2_ADDRESS_BYTES: Record<number, number> = { 1: 12, 2: 36, 3: 216 };

function parseV2(buf: Buffer, maxBytes: number): ProxyParse {
  if (!isPrefixOf(buf, PROXY_V2_SIGNATURE))
    return fail('ERR_PROXY_MISSING', 'the connection did not start with a PROXY header');
  if (buf.length < 16) {
    // Reject a bad version or command as soon as its byte is there.
    const verCmd = buf[12];
    if (verCmd !== undefined && (verCmd >> 4 !== 2 || (verCmd & 0x0f) > 1))
      return fail('ERR_PROXY_MALFORMED', 'PROXY v2: bad version or command byte');
    return INCOMPLETE;
  }
  const verCmd = buf[12]!;
  const famProto = buf[13]!;
  const len = buf.readUInt16BE(14);
  if (verCmd >> 4 !== 2 || (verCmd & 0x0f) > 1)
    return fail('ERR_PROXY_MALFORMED', 'PROXY v2: bad version or command byte');
  const family = famProto >> 4;
  const proto = famProto & 0x0f;
  if (family > 3 || proto > 2)
    return fail('ERR_PROXY_MALFORMED', 'PROXY v2: bad address family or transport byte');
  const length = 16 + len;
  if (length > maxBytes)
    return fail('ERR_PROXY_TOO_LONG', `PROXY v2: header of ${length} bytes (at most ${maxBytes})`);
  const addressBytes = family === 0 ? 0 : V2_ADDRESS_BYTES[family]!;
  if (len < addressBytes)
    return fail('ERR_PROXY_MALFORMED', 'PROXY v2: length shorter than the address block');
  if (buf.length < length) return INCOMPLETE;

  const tlvs: ProxyTlv[] = [];
  let at = 16 + addressBytes;
  while (at < length) {
    if (length - at < 3) return fail('ERR_PROXY_MALFORMED', 'PROXY v2: truncated TLV');
    const type = buf[at]!;
    const tlvLen = buf.readUInt16BE(at + 1);
    if (at + 3 + tlvLen > length)
      return fail('ERR_PROXY_MALFORMED', 'PROXY v2: TLV longer than the header');
    // Copied: the header's buffer may be the connection's first chunk, reused after this.
    tlvs.push({ type, value: Buffer.from(buf.subarray(at + 3, at + 3 + tlvLen)) });
    at += 3 + tlvLen;
  }

  const local = (verCmd & 0x0f) === 0;
  if (local || family === 0)
    return { type: 'header', header: { command: 'local', version: 2, tlvs }, length };
  if (family === 3 || proto !== 1)
    return fail(
      'ERR_PROXY_UNSUPPORTED',
      'PROXY v2: only TCP over IPv4 or IPv6 can carry an IMAP client',
    );
  const a = 16;
  const header: ProxyHeader =
    family === 1
      ? {
          command: 'proxy',
          version: 2,
          family: 'tcp4',
          source: { host: ipv4(buf, a), port: buf.readUInt16BE(a + 8) },
          destination: { host: ipv4(buf, a + 4), port: buf.readUInt16BE(a + 10) },
          tlvs,
        }
      : {
          command: 'proxy',
          version: 2,
          family: 'tcp6',
          source: { host: ipv6(buf, a), port: buf.readUInt16BE(a + 32) },
          destination: { host: ipv6(buf, a + 16), port: buf.readUInt16BE(a + 34) },
          tlvs,
        };
  return { type: 'header', header, length };
}

function ipv4(buf: Buffer, at: number): string {
  return `${buf[at]}.${buf[at + 1]}.${buf[at + 2]}.${buf[at + 3]}`;
}

/** The compressed text form (RFC 5952): the longest run of two or more zero groups becomes `::`. */
function ipv6(buf: Buffer, at: number): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push(buf.readUInt16BE(at + 2 * i));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/**
 * A v2 PROXY header naming `source` as the client and `destination` as what it dialled
 * (both IPv4 or both IPv6; a v4-mapped IPv6 address counts as IPv4), as imapscope sends it
 * upstream with --upstream-proxy-protocol. Mixed families: a LOCAL header (no client named).
 */
export function encodeProxyV2(source: HostPort, destination: HostPort): Buffer {
  const src = unmap(source.host);
  const dst = unmap(destination.host);
  const fam = isIP(src) === 4 && isIP(dst) === 4 ? 4 : isIP(src) === 6 && isIP(dst) === 6 ? 6 : 0;
  if (fam === 0) return Buffer.concat([PROXY_V2_SIGNATURE, Buffer.from([0x20, 0x00, 0, 0])]);
  const addrLen = fam === 4 ? 12 : 36;
  const out = Buffer.alloc(16 + addrLen);
  PROXY_V2_SIGNATURE.copy(out, 0);
  out[12] = 0x21; // version 2, PROXY
  out[13] = fam === 4 ? 0x11 : 0x21; // INET or INET6, STREAM
  out.writeUInt16BE(addrLen, 14);
  const write = fam === 4 ? writeIpv4 : writeIpv6;
  const size = fam === 4 ? 4 : 16;
  write(out, 16, src);
  write(out, 16 + size, dst);
  out.writeUInt16BE(source.port, 16 + 2 * size);
  out.writeUInt16BE(destination.port, 16 + 2 * size + 2);
  return out;
}

/** `::ffff:1.2.3.4` (how a dual-stack socket names an IPv4 peer) → `1.2.3.4`. */
export function unmap(host: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(host);
  return m ? m[1]! : host;
}

function writeIpv4(out: Buffer, at: number, host: string): void {
  host.split('.').forEach((octet, i) => (out[at + i] = Number(octet)));
}

function writeIpv6(out: Buffer, at: number, host: string): void {
  let text = host;
  // An embedded IPv4 tail (::ffff:1.2.3.4 stays IPv6 when the other side is IPv6).
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const o = v4[1]!.split('.').map(Number);
    text = `${text.slice(0, -v4[1]!.length)}${((o[0]! << 8) | o[1]!).toString(16)}:${((o[2]! << 8) | o[3]!).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), at + 2 * i));
}
