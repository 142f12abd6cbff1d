/**
 * pcapng of a session's plaintext streams (after TLS and COMPRESS were undone), as synthesized
 * Ethernet/IPv4/TCP segments: a three-way handshake, each chunk as PSH/ACK segments of at most
 * {@link MSS} bytes with consistent seq/ack numbers, and FINs at the end. The server side is
 * always port 143, so Wireshark and tshark dissect the payload as IMAP.
 */
import { isIPv4 } from 'node:net';
import type { Direction } from '../../shared/direction.ts';

/** Payload bytes per synthesized segment. */
export const MSS = 1460;
/** The port the server side gets, whatever the upstream's was: IMAP's, for the dissector. */
export const PCAP_SERVER_PORT = 143;

export interface PcapChunk {
  direction: Direction;
  at: number;
  data: Buffer;
  /**
   * Set on a marker, not bytes (data is empty): inspection lost this many bytes of the
   * direction here. The direction's TCP sequence skips them (Wireshark's "previous segment
   * not captured") and its next packet carries a comment saying so.
   */
  gap?: { droppedBytes: number; droppedChunks: number };
}

export interface PcapEndpoints {
  client: { host: string; port: number };
  server: { host: string; port: number };
  startedAt: number;
  endedAt: number | null;
}

const SYN = 0x02;
const FIN = 0x01;
const PSH = 0x08;
const ACK = 0x10;

function block(type: number, body: Buffer): Buffer {
  const pad = (4 - (body.length % 4)) % 4;
  const total = 12 + body.length + pad;
  const b = Buffer.alloc(total);
  b.writeUInt32LE(type, 0);
  b.writeUInt32LE(total, 4);
  body.copy(b, 8);
  b.writeUInt32LE(total, total - 4);
  return b;
}

function headerBlocks(): Buffer {
  const shb = Buffer.alloc(16);
  shb.writeUInt32LE(0x1a2b3c4d, 0); // byte-order magic
  shb.writeUInt16LE(1, 4); // major
  shb.writeUInt16LE(0, 6); // minor
  shb.writeBigInt64LE(-1n, 8); // section length unknown
  const idb = Buffer.alloc(8);
  idb.writeUInt16LE(1, 0); // LINKTYPE_ETHERNET
  idb.writeUInt32LE(262_144, 4); // snaplen
  return Buffer.concat([block(0x0a0d0d0a, shb), block(1, idb)]);
}

/** An EPB opt_comment (code 1) and opt_endofopt. */
function commentOption(text: string): Buffer {
  const value = Buffer.from(text, 'utf8');
  const pad = (4 - (value.length % 4)) % 4;
  const opt = Buffer.alloc(4 + value.length + pad + 4);
  opt.writeUInt16LE(1, 0);
  opt.writeUInt16LE(value.length, 2);
  value.copy(opt, 4);
  return opt; // the zeroed last 4 bytes are opt_endofopt
}

function packetBlock(atMs: number, frame: Buffer, comment?: string): Buffer {
  const us = BigInt(Math.round(atMs * 1000));
  const head = Buffer.alloc(20);
  head.writeUInt32LE(0, 0); // interface 0
  head.writeUInt32LE(Number(us >> 32n), 4);
  head.writeUInt32LE(Number(us & 0xffffffffn), 8);
  head.writeUInt32LE(frame.length, 12);
  head.writeUInt32LE(frame.length, 16);
  const pad = Buffer.alloc((4 - (frame.length % 4)) % 4);
  const options = comment === undefined ? [] : [pad, commentOption(comment)];
  return block(6, Buffer.concat([head, frame, ...options]));
}

function checksum(buf: Buffer, initial = 0): number {
  let sum = initial;
  for (let i = 0; i + 1 < buf.length; i += 2) sum += buf.readUInt16BE(i);
  if (buf.length % 2 === 1) sum += (buf[buf.length - 1] as number) << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function ipv4Bytes(host: string, fallback: string): Buffer {
  const ip = isIPv4(host) ? host : fallback;
  return Buffer.from(ip.split('.').map(Number));
}

interface Side {
  ip: Buffer;
  port: number;
  mac: Buffer;
  /** Next sequence number this side sends. */
  seq: number;
}

function frame(from: Side, to: Side, flags: number, payload: Buffer, ipId: number): Buffer {
  const tcp = Buffer.alloc(20);
  tcp.writeUInt16BE(from.port, 0);
  tcp.writeUInt16BE(to.port, 2);
  tcp.writeUInt32BE(from.seq >>> 0, 4);
  tcp.writeUInt32BE(flags & ACK ? to.seq >>> 0 : 0, 8);
  tcp.writeUInt8(5 << 4, 12);
  tcp.writeUInt8(flags, 13);
  tcp.writeUInt16BE(65535, 14);
  const pseudo = Buffer.alloc(12);
  from.ip.copy(pseudo, 0);
  to.ip.copy(pseudo, 4);
  pseudo.writeUInt8(6, 9);
  pseudo.writeUInt16BE(20 + payload.length, 10);
  tcp.writeUInt16BE(checksum(Buffer.concat([pseudo, tcp, payload])), 16);
  const ip = Buffer.alloc(20);
  ip.writeUInt8(0x45, 0);
  ip.writeUInt16BE(20 + 20 + payload.length, 2);
  ip.writeUInt16BE(ipId & 0xffff, 4);
  ip.writeUInt16BE(0x4000, 6); // don't fragment
  ip.writeUInt8(64, 8);
  ip.writeUInt8(6, 9);
  from.ip.copy(ip, 12);
  to.ip.copy(ip, 16);
  ip.writeUInt16BE(checksum(ip), 10);
  const eth = Buffer.concat([to.mac, from.mac, Buffer.from([0x08, 0x00])]);
  return Buffer.concat([eth, ip, tcp, payload]);
}

/** Writes the pcapng file as a sequence of buffers (header first). */
export function* writePcapng(ends: PcapEndpoints, chunks: Iterable<PcapChunk>): Generator<Buffer> {
  const client: Side = {
    ip: ipv4Bytes(ends.client.host, '10.0.0.1'),
    port: ends.client.port || 50000,
    mac: Buffer.from([0x02, 0, 0, 0, 0, 0x01]),
    seq: 1000,
  };
  const server: Side = {
    ip: ipv4Bytes(ends.server.host, '10.0.0.2'),
    port: PCAP_SERVER_PORT,
    mac: Buffer.from([0x02, 0, 0, 0, 0, 0x02]),
    seq: 5000,
  };
  if (client.port === server.port) client.port = 50000;
  let id = 1;
  let last = ends.startedAt;
  yield headerBlocks();
  yield packetBlock(last, frame(client, server, SYN, Buffer.alloc(0), id++));
  client.seq += 1;
  yield packetBlock(last, frame(server, client, SYN | ACK, Buffer.alloc(0), id++));
  server.seq += 1;
  yield packetBlock(last, frame(client, server, ACK, Buffer.alloc(0), id++));
  const comments: Record<Direction, string | undefined> = { c2s: undefined, s2c: undefined };
  for (const c of chunks) {
    const [from, to] = c.direction === 'c2s' ? [client, server] : [server, client];
    last = Math.max(last, c.at);
    if (c.gap) {
      from.seq = (from.seq + c.gap.droppedBytes) >>> 0;
      comments[c.direction] =
        `imapscope: inspection gap, ${c.gap.droppedBytes} bytes (${c.gap.droppedChunks} chunks) ` +
        `${c.direction} relayed but not inspected before this packet`;
      continue;
    }
    for (let off = 0; off < c.data.length; off += MSS) {
      const payload = c.data.subarray(off, off + MSS);
      yield packetBlock(last, frame(from, to, PSH | ACK, payload, id++), comments[c.direction]);
      comments[c.direction] = undefined;
      from.seq = (from.seq + payload.length) >>> 0;
    }
  }
  // A gap with no packet after it in its direction still shows: on an empty ACK of its own.
  for (const d of ['c2s', 's2c'] as const) {
    if (comments[d] === undefined) continue;
    const [from, to] = d === 'c2s' ? [client, server] : [server, client];
    yield packetBlock(last, frame(from, to, ACK, Buffer.alloc(0), id++), comments[d]);
  }
  const end = Math.max(last, ends.endedAt ?? last);
  if (ends.endedAt !== null) {
    yield packetBlock(end, frame(client, server, FIN | ACK, Buffer.alloc(0), id++));
    client.seq += 1;
    yield packetBlock(end, frame(server, client, FIN | ACK, Buffer.alloc(0), id++));
    server.seq += 1;
    yield packetBlock(end, frame(client, server, ACK, Buffer.alloc(0), id++));
  }
}
