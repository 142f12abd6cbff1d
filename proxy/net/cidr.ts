/** Network prefixes for --proxy-trusted (pure: config.ts parses the flag with it). */
import { isIP } from 'node:net';

/** One `ADDRESS/PREFIX` (or a bare address: /32, /128) of --proxy-trusted. */
export interface Cidr {
  address: string;
  prefix: number;
  family: 4 | 6;
}

/**
 * Parses `10.0.0.0/8`, `fd00::/8`, `127.0.0.1` (a single address). Returns null for anything
 * else: a prefix past 32 (IPv4) or 128 (IPv6), a host name, an empty string.
 */
export function parseCidr(text: string): Cidr | null {
  const m = /^([^/\s]+?)(?:\/(\d{1,3}))?$/.exec(text.trim());
  if (!m) return null;
  const family = isIP(m[1]!);
  if (family !== 4 && family !== 6) return null;
  const max = family === 4 ? 32 : 128;
  const prefix = m[2] === undefined ? max : Number(m[2]);
  if (prefix > max || (m[2] !== undefined && m[2].length > 1 && m[2].startsWith('0'))) return null;
  return { address: m[1]!, prefix, family };
}
