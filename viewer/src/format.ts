/** Small formatting helpers shared by the components. */
import type { ImportedReason, RowEndReason } from '../../shared/close-reason.ts';
import type { ImapState } from '../../shared/events.ts';

export function formatBytes(n: number | null): string {
  if (n === null) return '–';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function formatTime(at: number): string {
  const d = new Date(at);
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

export function formatDateTime(at: number): string {
  const d = new Date(at);
  return `${d.toLocaleDateString()} ${formatTime(at).slice(0, 8)}`;
}

export const STATE_LABELS: Record<ImapState, string> = {
  'not-authenticated': 'Not authenticated',
  authenticated: 'Authenticated',
  selected: 'Selected',
  logout: 'Logout',
};

/**
 * Links for an RFC reference such as `RFC 3501 §6.4.5 / RFC 9051 §6.4.5`: one per RFC named,
 * pointing at the section when one is given.
 */
export function rfcLinks(ref: string): { label: string; href: string }[] {
  const out: { label: string; href: string }[] = [];
  for (const m of ref.matchAll(/RFC\s*(\d+)(?:\s*§\s*([\d.]+\d))?/g)) {
    const [label, num, section] = m;
    out.push({
      label,
      href: `https://www.rfc-editor.org/rfc/rfc${num}${section ? `#section-${section}` : ''}`,
    });
  }
  return out;
}

/** Whether bytes look like text (no NULs, few control bytes). */
export function looksBinary(bytes: Uint8Array): boolean {
  let odd = 0;
  for (const b of bytes) {
    if (b === 0) return true;
    if (b < 9 || (b > 13 && b < 32)) odd++;
  }
  return odd > bytes.length / 20;
}

/**
 * A latency as people read it: `<1 ms` below one millisecond (not `0.0 ms`), one decimal
 * below 10 ms, whole milliseconds above.
 */
export function formatLatency(ms: number): string {
  if (ms < 1) return '<1 ms';
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  return `${Math.round(ms)} ms`;
}

/**
 * Decoded text made safe to show: every character kept (UTF-8 included), CR dropped, other
 * control characters (except LF and tab) as `·`.
 */
export function printableText(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\r/g, '').replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '·');
}

/** Close reasons that mean the session failed rather than ended (shown in red). */
const FAILED_REASONS = new Set<string>([
  'upstream-unavailable',
  'upstream-tls-failed',
  'upstream-reset',
  'upstream-error',
  'upstream-closed',
  'client-tls-failed',
  'client-reset',
  'client-error',
  'starttls-injection',
  'interrupted',
] satisfies RowEndReason[]);

/** Every reason the relay gives has words here (a new one fails to compile until it has). */
const REASON_LABELS: Record<Exclude<RowEndReason, ImportedReason>, string> = {
  closed: 'closed',
  shutdown: 'imapscope stopped',
  'idle-timeout': 'idle timeout',
  'upstream-unavailable': 'upstream unreachable',
  'upstream-tls-failed': 'upstream TLS failed',
  'upstream-reset': 'upstream reset',
  'upstream-error': 'upstream error',
  'upstream-closed': 'upstream closed without BYE',
  'client-tls-failed': 'client TLS failed',
  'client-reset': 'client reset',
  'client-error': 'client error',
  'starttls-injection': 'STARTTLS injection',
  interrupted: 'imapscope crashed',
};

/**
 * How a session ended, in words, and whether that was a failure: `null` reason is live.
 * An import's reason (`imported; …`) reads as "imported".
 */
export function formatEnd(reason: string | null): { text: string; failed: boolean } {
  if (reason === null) return { text: 'live', failed: false };
  const key = reason.split(';')[0]!.trim();
  const label = (REASON_LABELS as Record<string, string | undefined>)[key];
  return { text: label ?? key, failed: FAILED_REASONS.has(key) };
}
