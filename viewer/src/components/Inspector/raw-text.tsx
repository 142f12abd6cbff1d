import type { ReactNode } from 'react';

/** Runs of `*` where the proxy masked a secret (a lone `*` is IMAP's untagged marker). */
const MASKED = /(?<=^|[\s"])\*{2,}(?=[\s"]|$)/gm;

/** The message's raw text as it crossed the wire (literal bodies left out), masks marked. */
export function RawText({ raw }: { raw: string }) {
  const parts: ReactNode[] = [];
  let last = 0;
  for (const m of raw.matchAll(MASKED)) {
    parts.push(raw.slice(last, m.index));
    parts.push(
      <span key={m.index} className="masked" title="masked secret: imapscope never stores it">
        {m[0]}
      </span>,
    );
    last = m.index + m[0].length;
  }
  parts.push(raw.slice(last));
  return (
    <pre className="raw" data-testid="raw">
      {parts}
    </pre>
  );
}
