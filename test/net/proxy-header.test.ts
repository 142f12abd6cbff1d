import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  encodeProxyV2,
  parseProxyHeader,
  PROXY_V1_MAX_BYTES,
  PROXY_V2_SIGNATURE,
} from '../../proxy/net/proxy-header.ts';
import type { ProxyParse } from '../../proxy/net/proxy-header.ts';
import { PROXY_HEADER_PROPERTIES } from '../fuzz/proxy-header.ts';
import { parseCidr } from '../../proxy/net/cidr.ts';
import type { Cidr } from '../../proxy/net/cidr.ts';
import { trustChecker } from '../../proxy/net/proxy-accept.ts';

const trustCheckerFor = (list: string): ((address: string) => boolean) =>
  trustChecker(list.split(',').map((c) => parseCidr(c) as Cidr));

const IMAP = Buffer.from('a1 CAPABILITY\r\n');

/** A v2 header by hand: version/command byte, family/transport byte, address block, TLVs. */
function v2(verCmd: number, famProto: number, body: Buffer): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(body.length);
  return Buffer.concat([PROXY_V2_SIGNATURE, Buffer.from([verCmd, famProto]), len, body]);
}
function tlv(type: number, value: Buffer): Buffer {
  const head = Buffer.from([type, 0, 0]);
  head.writeUInt16BE(value.length, 1);
  return Buffer.concat([head, value]);
}
const V4_BLOCK = Buffer.from([192, 0, 2, 7, 10, 0, 0, 1, 0xc3, 0x50, 0x00, 0x8f]); // :50000 → :143

/**
 * Feeds `bytes` as the chunks `cuts` makes, the way readProxyHeader accumulates them, and
 * returns the first final result with every byte after the header.
 */
function feed(bytes: Buffer, cuts: number[]): { result: ProxyParse; rest: Buffer } {
  let received = Buffer.alloc(0);
  let from = 0;
  for (const cut of [
    ...cuts.filter((c) => c > 0 && c < bytes.length).sort((a, b) => a - b),
    bytes.length,
  ]) {
    received = Buffer.concat([received, bytes.subarray(from, cut)]);
    from = cut;
    const r = parseProxyHeader(received);
    // What the relay then reads: the bytes past the header, then the chunks still to come.
    if (r.type === 'header')
      return {
        result: r,
        rest: Buffer.concat([received.subarray(r.length), bytes.subarray(from)]),
      };
    if (r.type === 'error') return { result: r, rest: Buffer.alloc(0) };
  }
  return { result: { type: 'incomplete' }, rest: Buffer.alloc(0) };
}

/** Every way of cutting: whole, every single cut, byte by byte; all must agree. */
function allSplits(bytes: Buffer): { result: ProxyParse; rest: Buffer } {
  const whole = feed(bytes, []);
  for (let i = 1; i < bytes.length; i++) expect(feed(bytes, [i])).toEqual(whole);
  expect(
    feed(
      bytes,
      Array.from({ length: bytes.length }, (_, i) => i),
    ),
  ).toEqual(whole);
  return whole;
}

describe('a PROXY v1 header', () => {
  it('names a TCP4 client and leaves the IMAP bytes after it, however the bytes are split', () => {
    const line = Buffer.from('PROXY TCP4 192.0.2.7 10.0.0.1 50000 143\r\n');
    const { result, rest } = allSplits(Buffer.concat([line, IMAP]));
    expect(result).toEqual({
      type: 'header',
      length: line.length,
      header: {
        command: 'proxy',
        version: 1,
        family: 'tcp4',
        source: { host: '192.0.2.7', port: 50000 },
        destination: { host: '10.0.0.1', port: 143 },
        tlvs: [],
      },
    });
    expect(rest).toEqual(IMAP);
  });

  it('names a TCP6 client', () => {
    const r = parseProxyHeader(Buffer.from('PROXY TCP6 2001:db8::7 ::1 65535 0\r\n'));
    expect(r).toMatchObject({
      type: 'header',
      header: {
        family: 'tcp6',
        source: { host: '2001:db8::7', port: 65535 },
        destination: { host: '::1', port: 0 },
      },
    });
  });

  it('UNKNOWN names nobody: the connection itself stands, whatever follows the word', () => {
    for (const text of ['PROXY UNKNOWN\r\n', 'PROXY UNKNOWN ffff::1 ::1 1 2\r\n']) {
      const r = parseProxyHeader(Buffer.from(text + 'a1 NOOP\r\n'));
      expect(r).toEqual({
        type: 'header',
        length: text.length,
        header: { command: 'local', version: 1, tlvs: [] },
      });
    }
  });

  it('is accepted at exactly 107 bytes and refused at 108 without a CRLF', () => {
    const at = `PROXY UNKNOWN ${'x'.repeat(PROXY_V1_MAX_BYTES - 16)}\r\n`;
    expect(at.length).toBe(PROXY_V1_MAX_BYTES);
    expect(parseProxyHeader(Buffer.from(at))).toMatchObject({ type: 'header', length: 107 });
    const over = `PROXY UNKNOWN ${'x'.repeat(PROXY_V1_MAX_BYTES - 15)}\r\n`;
    expect(parseProxyHeader(Buffer.from(over))).toMatchObject({
      type: 'error',
      code: 'ERR_PROXY_TOO_LONG',
    });
  });

  it.each([
    ['a wrong family', 'PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n'],
    ['an IPv6 address under TCP4', 'PROXY TCP4 ::1 5.6.7.8 1 2\r\n'],
    ['a host name', 'PROXY TCP4 localhost 5.6.7.8 1 2\r\n'],
    ['a port past 65535', 'PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n'],
    ['a port with a leading zero', 'PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n'],
    ['a missing field', 'PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n'],
    ['two spaces', 'PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n'],
    ['a bare LF', 'PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n'],
    ['a CR without LF', 'PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX'],
    ['a short octet form', 'PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n'],
  ])('with %s is malformed', (_what, text) => {
    expect(parseProxyHeader(Buffer.from(text))).toMatchObject({
      type: 'error',
      code: 'ERR_PROXY_MALFORMED',
    });
  });
});

describe('a PROXY v2 header', () => {
  it('names a TCP over IPv4 client and leaves the IMAP bytes after it, however split', () => {
    const header = v2(0x21, 0x11, V4_BLOCK);
    const { result, rest } = allSplits(Buffer.concat([header, IMAP]));
    expect(result).toEqual({
      type: 'header',
      length: 28,
      header: {
        command: 'proxy',
        version: 2,
        family: 'tcp4',
        source: { host: '192.0.2.7', port: 50000 },
        destination: { host: '10.0.0.1', port: 143 },
        tlvs: [],
      },
    });
    expect(rest).toEqual(IMAP);
  });

  it('names a TCP over IPv6 client in the compressed text form', () => {
    const block = Buffer.alloc(36);
    Buffer.from('20010db8000000000000000000000007', 'hex').copy(block, 0);
    block[31] = 1; // ::1
    block.writeUInt16BE(40000, 32);
    block.writeUInt16BE(993, 34);
    expect(parseProxyHeader(v2(0x21, 0x21, block))).toMatchObject({
      type: 'header',
      header: {
        family: 'tcp6',
        source: { host: '2001:db8::7', port: 40000 },
        destination: { host: '::1', port: 993 },
      },
    });
  });

  it('carries TLVs (ALPN, authority, unique id) and skips them, so they never reach IMAP', () => {
    const tlvs = Buffer.concat([
      tlv(0x01, Buffer.from('imap')),
      tlv(0x02, Buffer.from('mail.example.org')),
      tlv(0x05, Buffer.from('id-1')),
      tlv(0x04, Buffer.alloc(0)),
    ]);
    const header = v2(0x21, 0x11, Buffer.concat([V4_BLOCK, tlvs]));
    const { result, rest } = allSplits(Buffer.concat([header, IMAP]));
    expect(result).toMatchObject({ type: 'header', length: header.length });
    if (result.type !== 'header') throw new Error('no header');
    expect(result.header.tlvs.map((t) => [t.type, t.value.toString()])).toEqual([
      [1, 'imap'],
      [2, 'mail.example.org'],
      [5, 'id-1'],
      [4, ''],
    ]);
    expect(rest).toEqual(IMAP);
  });

  it('LOCAL (a health check) names nobody, whatever its address block says', () => {
    expect(parseProxyHeader(v2(0x20, 0x11, V4_BLOCK))).toEqual({
      type: 'header',
      length: 28,
      header: { command: 'local', version: 2, tlvs: [] },
    });
    expect(parseProxyHeader(v2(0x20, 0x00, Buffer.alloc(0)))).toMatchObject({
      type: 'header',
      length: 16,
      header: { command: 'local' },
    });
  });

  it.each([
    ['version 1 in the version nibble', v2(0x11, 0x11, V4_BLOCK), 'ERR_PROXY_MALFORMED'],
    ['command 2', v2(0x22, 0x11, V4_BLOCK), 'ERR_PROXY_MALFORMED'],
    ['family 4', v2(0x21, 0x41, V4_BLOCK), 'ERR_PROXY_MALFORMED'],
    [
      'a length shorter than the IPv4 block',
      v2(0x21, 0x11, V4_BLOCK.subarray(0, 11)),
      'ERR_PROXY_MALFORMED',
    ],
    [
      'a truncated TLV',
      v2(0x21, 0x11, Buffer.concat([V4_BLOCK, Buffer.from([1, 0])])),
      'ERR_PROXY_MALFORMED',
    ],
    [
      'a TLV longer than the header',
      v2(0x21, 0x11, Buffer.concat([V4_BLOCK, Buffer.from([1, 0, 9, 0x41])])),
      'ERR_PROXY_MALFORMED',
    ],
    ['UDP', v2(0x21, 0x12, V4_BLOCK), 'ERR_PROXY_UNSUPPORTED'],
    ['a UNIX socket', v2(0x21, 0x31, Buffer.alloc(216)), 'ERR_PROXY_UNSUPPORTED'],
  ])('with %s is refused', (_what, bytes, code) => {
    expect(allSplits(bytes).result).toMatchObject({ type: 'error', code });
  });

  it('longer than the cap is refused from its first 16 bytes; at the cap it is accepted', () => {
    const atCap = v2(0x21, 0x11, Buffer.concat([V4_BLOCK, tlv(0x04, Buffer.alloc(4096 - 31))]));
    expect(atCap.length).toBe(4096);
    expect(parseProxyHeader(atCap)).toMatchObject({ type: 'header', length: 4096 });
    const over = v2(0x21, 0x11, Buffer.concat([V4_BLOCK, tlv(0x04, Buffer.alloc(4096 - 30))]));
    expect(parseProxyHeader(over.subarray(0, 16))).toMatchObject({
      type: 'error',
      code: 'ERR_PROXY_TOO_LONG',
    });
  });

  it('round-trips what imapscope sends upstream (IPv4, IPv6, v4-mapped)', () => {
    const cases = [
      [{ host: '127.0.0.1', port: 50123 }, { host: '127.0.0.1', port: 1143 }, 'tcp4'],
      [{ host: '2001:db8::1:0:0:7', port: 1 }, { host: '::', port: 143 }, 'tcp6'],
      [{ host: '::ffff:10.1.2.3', port: 7 }, { host: '10.0.0.1', port: 143 }, 'tcp4'],
    ] as const;
    for (const [source, destination, family] of cases) {
      const r = parseProxyHeader(encodeProxyV2(source, destination));
      expect(r).toMatchObject({ type: 'header', header: { command: 'proxy', family } });
      if (r.type !== 'header' || r.header.command !== 'proxy') throw new Error('no header');
      expect(r.header.source.port).toBe(source.port);
      expect(r.header.source.host).toBe(source.host.replace('::ffff:', ''));
      expect(r.header.destination).toEqual(destination);
    }
  });
});

describe('bytes that are not a PROXY header', () => {
  it('are refused as soon as the first byte says so (a client speaking IMAP)', () => {
    expect(parseProxyHeader(IMAP.subarray(0, 1))).toMatchObject({
      type: 'error',
      code: 'ERR_PROXY_MISSING',
    });
    expect(parseProxyHeader(Buffer.from('PROXZ'))).toMatchObject({ code: 'ERR_PROXY_MISSING' });
    expect(parseProxyHeader(Buffer.from('\r\n\r\nX'))).toMatchObject({ code: 'ERR_PROXY_MISSING' });
  });

  it('wait while they could still become one', () => {
    for (const prefix of ['', 'P', 'PROXY', 'PROXY TCP4 1.2.3.4']) {
      expect(parseProxyHeader(Buffer.from(prefix))).toEqual({ type: 'incomplete' });
    }
    expect(parseProxyHeader(PROXY_V2_SIGNATURE.subarray(0, 5))).toEqual({ type: 'incomplete' });
  });
});

describe('the parser on random and mutated input (test/fuzz/proxy-header.ts)', () => {
  for (const p of PROXY_HEADER_PROPERTIES) {
    it(p.name, () => {
      fc.assert(p.property(), { numRuns: p.ciRuns });
    });
  }
});

describe('--proxy-trusted networks', () => {
  it('parse addresses and prefixes and refuse anything else', () => {
    expect(parseCidr('10.0.0.0/8')).toEqual({ address: '10.0.0.0', prefix: 8, family: 4 });
    expect(parseCidr('::1')).toEqual({ address: '::1', prefix: 128, family: 6 });
    for (const bad of ['10.0.0.0/33', '::/129', 'lb.example', '', '10.0.0.0/08', '10.0.0/8'])
      expect(parseCidr(bad)).toBeNull();
  });

  it('match v4-mapped peers as IPv4 and nothing outside', () => {
    const trusted = trustCheckerFor('127.0.0.2/32,fd00::/8');
    expect(trusted('127.0.0.2')).toBe(true);
    expect(trusted('::ffff:127.0.0.2')).toBe(true);
    expect(trusted('127.0.0.1')).toBe(false);
    expect(trusted('fd12::1')).toBe(true);
    expect(trusted('fe80::1')).toBe(false);
    expect(trusted('?')).toBe(false);
  });
});
