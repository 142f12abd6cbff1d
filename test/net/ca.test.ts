import { mkdtemp, rm, stat } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, describe, expect, it } from 'vitest';
import { CertificateAuthority, caPaths } from '../../proxy/net/ca.ts';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function dataDir(): Promise<string> {
  const d = await mkdtemp(path.join(os.tmpdir(), 'imapscope-ca-'));
  dirs.push(d);
  return path.join(d, 'data');
}

/** Serves `ctx` on a loopback TLS port and connects to it as `servername`, trusting only `ca`. */
async function handshake(ctx: tls.SecureContext, ca: string, servername?: string): Promise<string> {
  // As the relay does it: a TLSSocket over an accepted TCP socket, with the context as given.
  const server = net.createServer((raw) => {
    const s = new tls.TLSSocket(raw, { isServer: true, secureContext: ctx });
    s.on('secure', () => s.end());
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  try {
    return await new Promise<string>((resolve, reject) => {
      const c = tls.connect({
        host: '127.0.0.1',
        port,
        ca: [ca],
        ...(servername ? { servername } : {}),
      });
      c.on('secureConnect', () => {
        resolve(String(c.getPeerCertificate().subjectaltname));
        c.destroy();
      });
      c.on('error', reject);
    });
  } finally {
    server.close();
  }
}

describe("imapscope's CA", () => {
  it('is created on first use with a 0700 directory and 0600 files, and loaded unchanged afterwards', async () => {
    const dir = await dataDir();
    const first = await CertificateAuthority.load(dir);
    const paths = caPaths(dir);
    expect((await stat(paths.dir)).mode & 0o777).toBe(0o700);
    expect((await stat(paths.cert)).mode & 0o777).toBe(0o600);
    expect((await stat(paths.key)).mode & 0o777).toBe(0o600);
    const second = await CertificateAuthority.load(dir);
    expect(second.certPem).toBe(first.certPem);
    expect(second.fingerprint256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  });

  it('issues leaves that verify against the CA for a DNS name (SNI) and for an IP address, cached', async () => {
    const ca = await CertificateAuthority.load(await dataDir());
    const byName = await ca.contextFor(['imap.example.test']);
    expect(await handshake(byName, ca.certPem, 'imap.example.test')).toBe('DNS:imap.example.test');
    expect(await ca.contextFor(['IMAP.example.test'])).toBe(byName);
    const byIp = await ca.contextFor(['127.0.0.1', 'localhost']);
    expect(await handshake(byIp, ca.certPem)).toBe('IP Address:127.0.0.1, DNS:localhost');
  });

  it('issues leaves that another CA does not vouch for', async () => {
    const ca = await CertificateAuthority.load(await dataDir());
    const other = await CertificateAuthority.load(await dataDir());
    const ctx = await ca.contextFor(['localhost']);
    await expect(handshake(ctx, other.certPem, 'localhost')).rejects.toThrow();
  });
});
