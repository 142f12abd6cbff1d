import { describe, expect, it } from 'vitest';
import { formatEnd } from '../../viewer/src/format.ts';

describe('the session list’s End column', () => {
  it('names failures in words, as failures, and everything else plainly', () => {
    expect(formatEnd('upstream-unavailable')).toEqual({
      text: 'upstream unreachable',
      failed: true,
    });
    expect(formatEnd('upstream-tls-failed')).toEqual({ text: 'upstream TLS failed', failed: true });
    expect(formatEnd('interrupted')).toEqual({ text: 'imapscope crashed', failed: true });
    expect(formatEnd('closed')).toEqual({ text: 'closed', failed: false });
    expect(formatEnd('idle-timeout')).toEqual({ text: 'idle timeout', failed: false });
    expect(formatEnd(null)).toEqual({ text: 'live', failed: false });
  });

  it('reads an import’s reason by its first part, and shows an unknown reason as it is', () => {
    expect(formatEnd('imported; no times in the file: dated by its mtime')).toEqual({
      text: 'imported',
      failed: false,
    });
    expect(formatEnd('something-new')).toEqual({ text: 'something-new', failed: false });
  });
});
