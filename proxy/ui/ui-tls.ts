/** The UI's HTTPS certificate and key (--ui-cert, --ui-key), read and checked before anything starts. */
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { ConfigError } from '../errors.ts';

export interface UiTls {
  cert: string;
  key: string;
}

/**
 * Reads the PEM files; null when none are given. A file that cannot be read, or a pair Node's
 * TLS cannot use, is a ConfigError naming the flag (one line, exit code 2).
 */
export function loadUiTls(certFile: string | null, keyFile: string | null): UiTls | null {
  if (certFile === null || keyFile === null) return null;
  const read = (flag: string, file: string): string => {
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError(flag, `cannot read ${file}: ${(err as NodeJS.ErrnoException).code}`);
    }
  };
  const tls = { cert: read('--ui-cert', certFile), key: read('--ui-key', keyFile) };
  try {
    createSecureContext(tls);
  } catch (err) {
    throw new ConfigError('--ui-cert', `unusable certificate or key: ${(err as Error).message}`);
  }
  return tls;
}
