/**
 * imapscope's own certificate authority: created once in the data directory, then used to
 * issue leaf certificates on the fly for the names mail clients ask for (SNI). Built on
 * @peculiar/x509 over Node's WebCrypto: no ASN.1 is written here.
 */
import 'reflect-metadata'; // tsyringe, used inside @peculiar/x509, needs the Reflect polyfill first
import * as x509 from '@peculiar/x509';
import { createHash, randomBytes, webcrypto } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import type { SecureContext } from 'node:tls';
import { MAX_LEAF_CACHE } from '../limits.ts';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;
const CA_VALID_DAYS = 3650;
/** Leaves stay under the 398 days browsers and Apple clients accept. */
const LEAF_VALID_DAYS = 397;
const CA_NAME = 'CN=imapscope local CA, O=imapscope';

/** Where the CA lives: `<data>/ca/ca-cert.pem` and `<data>/ca/ca-key.pem`. */
export function caPaths(dataDir: string): { dir: string; cert: string; key: string } {
  const dir = join(dataDir, 'ca');
  return { dir, cert: join(dir, 'ca-cert.pem'), key: join(dir, 'ca-key.pem') };
}

function pem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString('base64');
  return `-----BEGIN ${label}-----\n${b64.replace(/.{64}/g, '$&\n').replace(/\n?$/, '\n')}-----END ${label}-----\n`;
}

function serial(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f; // a positive INTEGER
  return bytes.toString('hex');
}

/** A SubjectAltName entry for a DNS name or an IP address. */
function altName(name: string): x509.JsonGeneralName {
  return isIP(name) ? { type: 'ip', value: name } : { type: 'dns', value: name };
}

/**
 * The CA of one data directory. `load` creates it on first use: the directory with mode
 * 0700, both PEM files with mode 0600. `contextFor(names)` issues (and caches, up to
 * MAX_LEAF_CACHE name sets) a TLS server context with a leaf for those names signed by it.
 */
export class CertificateAuthority {
  private readonly leaves = new Map<string, Promise<SecureContext>>();
  private leafKeys: Promise<CryptoKeyPair> | undefined;

  private constructor(
    /** Path of the CA certificate (PEM), as `imapscope ca` prints it. */
    readonly certPath: string,
    /** The CA certificate, PEM. */
    readonly certPem: string,
    private readonly cert: x509.X509Certificate,
    private readonly key: CryptoKey,
  ) {}

  /** Loads the CA from `<dataDir>/ca`, creating it (and the directory) when absent. */
  static async load(dataDir: string): Promise<CertificateAuthority> {
    const paths = caPaths(dataDir);
    mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
    chmodSync(paths.dir, 0o700);
    if (!existsSync(paths.cert) || !existsSync(paths.key)) await create(paths);
    const certPem = readFileSync(paths.cert, 'utf8');
    const keyPem = readFileSync(paths.key, 'utf8');
    const cert = new x509.X509Certificate(certPem);
    const der = x509.PemConverter.decodeFirst(keyPem);
    const key = await webcrypto.subtle.importKey('pkcs8', der, ALG, false, ['sign']);
    return new CertificateAuthority(paths.cert, certPem, cert, key);
  }

  /** SHA-256 fingerprint of the CA certificate, colon-separated upper-case hex. */
  get fingerprint256(): string {
    return fingerprint(Buffer.from(this.cert.rawData));
  }

  /**
   * A server context whose leaf names `names` (DNS names or IP addresses; the first is
   * the CN). Issued once per distinct set and cached; the oldest entry goes first past
   * MAX_LEAF_CACHE.
   */
  contextFor(names: readonly string[]): Promise<SecureContext> {
    const unique = [...new Set(names.map((n) => n.toLowerCase()))];
    const key = unique.join(',');
    let ctx = this.leaves.get(key);
    if (!ctx) {
      ctx = this.issue(unique);
      ctx.catch(() => this.leaves.delete(key));
      this.leaves.set(key, ctx);
      if (this.leaves.size > MAX_LEAF_CACHE) {
        const oldest = this.leaves.keys().next().value;
        if (oldest !== undefined) this.leaves.delete(oldest);
      }
    }
    return ctx;
  }

  private async issue(names: string[]): Promise<SecureContext> {
    // One key pair for every leaf of this process: issuing is a signature, not a key generation.
    this.leafKeys ??= webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
    const keys = await this.leafKeys;
    const now = Date.now();
    const cn = (names[0] ?? 'imapscope').replace(/[,+="<>#;\\]/g, '');
    const leaf = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject: `CN=${cn}`,
      issuer: this.cert.subject,
      notBefore: new Date(now - DAY_MS),
      notAfter: new Date(now + LEAF_VALID_DAYS * DAY_MS),
      signingAlgorithm: ALG,
      publicKey: keys.publicKey,
      signingKey: this.key,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension(names.map(altName)),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
        await x509.AuthorityKeyIdentifierExtension.create(this.cert),
      ],
    });
    const keyDer = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
    return createSecureContext({
      cert: leaf.toString('pem') + '\n' + this.certPem,
      key: pem('PRIVATE KEY', keyDer),
    });
  }
}

async function create(paths: { cert: string; key: string }): Promise<void> {
  const keys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: CA_NAME,
    notBefore: new Date(now - DAY_MS),
    notAfter: new Date(now + CA_VALID_DAYS * DAY_MS),
    signingAlgorithm: ALG,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign |
          x509.KeyUsageFlags.cRLSign |
          x509.KeyUsageFlags.digitalSignature,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const keyDer = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  // The key first: a cert without its key would be taken as a complete CA on the next load.
  writeFileSync(paths.key, pem('PRIVATE KEY', keyDer), { mode: 0o600 });
  chmodSync(paths.key, 0o600);
  writeFileSync(paths.cert, cert.toString('pem') + '\n', { mode: 0o600 });
  chmodSync(paths.cert, 0o600);
}

/** SHA-256 of DER bytes as `AB:CD:…`, the form Node's `fingerprint256` uses. */
export function fingerprint(der: Buffer): string {
  return createHash('sha256').update(der).digest('hex').toUpperCase().match(/../g)?.join(':') ?? '';
}
