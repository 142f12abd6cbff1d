/** The test upstream itself: if these fail, every other e2e failure is suspect. */
import { existsSync } from 'node:fs';
import tls from 'node:tls';
import { ImapFlow } from 'imapflow';
import { describe, expect, it } from 'vitest';
import { startDovecot } from '../helpers/dovecot.ts';
import { readRawlogs, stripRawlogTimestamps } from '../helpers/dovecot-rawlog.ts';
import { converse } from '../helpers/raw-imap.ts';

describe('the Dovecot test harness', () => {
  it('runs two instances at once on their own ports, each offering STARTTLS, then removes them', async () => {
    const [one, two] = await Promise.all([startDovecot(), startDovecot()]);
    try {
      expect(new Set([one.port, one.tlsPort, two.port, two.tlsPort]).size).toBe(4);
      for (const d of [one, two]) {
        const t = await converse(d.host, d.port, ['CAPABILITY', 'LOGOUT']);
        expect(t.greeting).toMatch(/^\* OK \[CAPABILITY [^\]]*STARTTLS/);
        expect(t.replies[0]?.[0]).toMatch(/AUTH=PLAIN/);
      }
    } finally {
      await Promise.all([one.stop(), two.stop()]);
    }
    expect(existsSync(one.dir)).toBe(false);
    expect(existsSync(two.dir)).toBe(false);
  });

  it('serves implicit TLS with the certificate it made, and COMPRESS=DEFLATE after login, for both users', async () => {
    const d = await startDovecot();
    try {
      for (const account of [{ user: d.user, password: d.password }, d.user2]) {
        const client = new ImapFlow({
          host: d.host,
          port: d.tlsPort,
          secure: true,
          tls: { ca: [d.certPem] },
          auth: { user: account.user, pass: account.password },
          logger: false,
        });
        await client.connect();
        expect(client.capabilities.has('COMPRESS=DEFLATE')).toBe(true);
        expect(client.capabilities.has('IDLE')).toBe(true);
        await client.logout();
      }
      const cert = await new Promise<tls.PeerCertificate>((resolve, reject) => {
        const s = tls.connect({ host: d.host, port: d.tlsPort, ca: [d.certPem] }, () => {
          resolve(s.getPeerCertificate());
          s.destroy();
        });
        s.on('error', reject);
      });
      expect(cert.subject.CN).toBe('localhost');
    } finally {
      await d.stop();
    }
  });

  it('records pre-login and post-login traffic in rawlogs when asked', async () => {
    const d = await startDovecot({ rawlog: true });
    try {
      await converse(d.host, d.port, [`LOGIN ${d.user} ${d.password}`, 'SELECT INBOX', 'LOGOUT']);
      let sessions = await readRawlogs(d);
      for (let i = 0; i < 20 && !sessions.some((s) => s.stage === 'imap' && s.out.length); i++) {
        await new Promise((r) => setTimeout(r, 100));
        sessions = await readRawlogs(d);
      }
      // The start-up probes send nothing (plain port) or a TLS handshake (implicit-TLS port).
      const login = sessions.find(
        (s) => s.stage === 'login' && s.in.length > 0 && s.out.toString().startsWith('* OK '),
      );
      const imap = sessions.find((s) => s.stage === 'imap');
      expect(login?.in.toString()).toContain(`a1 LOGIN ${d.user}`);
      expect(login?.out.toString()).toMatch(/^\* OK /);
      expect(imap?.in.toString()).toBe('a2 SELECT INBOX\r\na3 LOGOUT\r\n');
      expect(imap?.out.toString()).toContain('a1 OK');
      expect(imap?.out.toString()).toMatch(/a3 OK Logout completed.*\r\n$/);
    } finally {
      await d.stop();
    }
  });

  it('strips exactly the rawlog timestamps and keeps every other byte', () => {
    const raw = Buffer.from(
      '1795704229.419946 a1 NOOP\r\n1795704229.419950 {3}\r\n1795704229.5 x\n',
    );
    expect(stripRawlogTimestamps(raw).toString()).toBe('a1 NOOP\r\n{3}\r\n1795704229.5 x\n');
  });
});
