import type { LiteralRef } from '../../../../shared/messages.ts';

export function isLiteral(v: object): v is LiteralRef {
  return 'preview' in v && (v as { preview: unknown }).preview instanceof Uint8Array && 'size' in v;
}

/** A MailboxName (`{ name, raw }`) whose decoded name differs from the wire form. */
export function isMailboxName(v: object): v is { name: string; raw: string } {
  const keys = Object.keys(v);
  return (
    keys.length === 2 &&
    'name' in v &&
    'raw' in v &&
    typeof (v as { raw: unknown }).raw === 'string'
  );
}

/**
 * Splits a literal preview into MIME header fields and the start of the body, when it starts
 * like a message (`Name: value` lines up to an empty line); else null.
 */
export function mimeHeaders(text: string): { fields: [string, string][]; body: string } | null {
  const end = text.search(/\r?\n\r?\n/);
  const head = end < 0 ? text : text.slice(0, end);
  if (!/^[!-9;-~]+:/.test(head)) return null;
  const fields: [string, string][] = [];
  for (const line of head.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && fields.length > 0) {
      fields[fields.length - 1]![1] += ` ${line.trim()}`;
      continue;
    }
    const i = line.indexOf(':');
    if (i <= 0) return null;
    fields.push([line.slice(0, i), line.slice(i + 1).trim()]);
  }
  return { fields, body: end < 0 ? '' : text.slice(end).replace(/^\r?\n\r?\n/, '') };
}

/** Classic hex dump: offset, 16 bytes in hex, the printable ASCII. */
export function hexDump(bytes: Uint8Array, max = 4096): string {
  const lines: string[] = [];
  const n = Math.min(bytes.length, max);
  for (let i = 0; i < n; i += 16) {
    const chunk = bytes.subarray(i, Math.min(i + 16, n));
    const hex = [...chunk].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    const ascii = [...chunk]
      .map((b) => (b >= 32 && b < 127 ? String.fromCharCode(b) : '.'))
      .join('');
    lines.push(`${i.toString(16).padStart(6, '0')}  ${hex.padEnd(47)}  ${ascii}`);
  }
  if (bytes.length > n) lines.push(`… ${bytes.length - n} more bytes`);
  return lines.join('\n');
}
