/** Dovecot's rawlogs, read back: what the test server received (.in) and sent (.out). */
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Dovecot } from './dovecot.ts';

export interface RawlogSession {
  /** `login` for imap-login (pre-login), `imap` for the mail process (post-login). */
  stage: 'login' | 'imap';
  pid: number;
  /** Bytes received, Dovecot's per-line timestamps removed. */
  in: Buffer;
  /** Bytes sent, Dovecot's per-line timestamps removed. */
  out: Buffer;
}

/**
 * Dovecot 2.3 prefixes every line of a rawlog with `SECONDS.MICROS `; this removes exactly
 * those prefixes (at the start of the file and after each LF) and keeps every other byte.
 */
export function stripRawlogTimestamps(raw: Buffer): Buffer {
  const parts: Buffer[] = [];
  let pos = 0;
  const prefix = /^\d+\.\d{6} /;
  while (pos < raw.length) {
    const head = raw.subarray(pos, pos + 32).toString('latin1');
    const m = prefix.exec(head);
    if (m) pos += m[0].length;
    const nl = raw.indexOf(0x0a, pos);
    const end = nl < 0 ? raw.length : nl + 1;
    parts.push(raw.subarray(pos, end));
    pos = end;
  }
  return Buffer.concat(parts);
}

/**
 * Reads every rawlog pair Dovecot wrote, oldest first. A file belongs to a mail process
 * (post-login) when Dovecot's log names its pid as `mpid=` in a Login line; otherwise it is
 * from imap-login (pre-login; on the implicit-TLS port that is the encrypted stream).
 */
export async function readRawlogs(dovecot: Dovecot): Promise<RawlogSession[]> {
  const dir = dovecot.rawlogDir;
  if (!dir) throw new Error('readRawlogs: Dovecot was started without rawlog: true');
  const mailPids = new Set(
    [...(await dovecot.log()).matchAll(/\bmpid=(\d+)/g)].map((m) => Number(m[1])),
  );
  const names = (await readdir(dir)).filter((n) => n.endsWith('.in')).sort();
  const sessions: RawlogSession[] = [];
  for (const name of names) {
    const base = name.slice(0, -'.in'.length);
    // Names look like 20261126-144349.8740.1: date-time.pid.counter
    const pid = Number(base.split('.')[1]);
    const inBytes = await readFile(path.join(dir, name));
    const outBytes = await readFile(path.join(dir, `${base}.out`)).catch(() => Buffer.alloc(0));
    sessions.push({
      stage: mailPids.has(pid) ? 'imap' : 'login',
      pid,
      in: stripRawlogTimestamps(inBytes),
      out: stripRawlogTimestamps(outBytes),
    });
  }
  return sessions;
}
