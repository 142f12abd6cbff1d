import type { ReactNode } from 'react';
import { isLiteral, isMailboxName } from './literals.ts';

/** Keys not worth a line in the tree (shown elsewhere in the inspector). */
const HIDDEN = new Set(['raw', 'direction', 'offset', 'length']);

/** The decoded message as a collapsible tree; mailbox names decoded, literals summarized. */
export function DecodedTree({ value }: { value: unknown }) {
  return <div className="tree">{node(value, 0)}</div>;
}

function node(v: unknown, depth: number): ReactNode {
  if (v === null) return <span className="n">NIL</span>;
  if (typeof v === 'string') return <span className="s">"{v}"</span>;
  if (typeof v === 'number' || typeof v === 'boolean')
    return <span className="n">{String(v)}</span>;
  if (v instanceof Uint8Array) return <span className="muted">‹{v.length} bytes›</span>;
  if (typeof v !== 'object') return String(v);
  if (isMailboxName(v)) {
    return (
      <span>
        <span className="s">"{v.name}"</span>
        {v.name !== v.raw ? (
          <span className="muted" title="modified UTF-7 on the wire (RFC 3501 §5.1.3)">
            {' '}
            ← mUTF-7 <code>{v.raw}</code>
          </span>
        ) : null}
      </span>
    );
  }
  if (isLiteral(v)) {
    return (
      <span className="muted">
        literal{v.literal8 ? '8 ~' : ' '}
        {`{${v.size}${v.kind === 'nonsync' ? '+' : ''}}`}
        {v.refused ? ' refused' : ''}
      </span>
    );
  }
  const entries = Array.isArray(v)
    ? v.map((x, i) => [String(i), x] as const)
    : Object.entries(v).filter(([k]) => !HIDDEN.has(k) || depth > 0);
  if (entries.length === 0) return <span className="muted">{Array.isArray(v) ? '[]' : '{}'}</span>;
  const label = Array.isArray(v)
    ? `[${v.length}]`
    : ((v as { type?: unknown; kind?: unknown }).type ?? (v as { kind?: unknown }).kind ?? '{…}');
  return (
    <details open={depth < 3}>
      <summary>{String(label)}</summary>
      {entries.map(([k, x]) => (
        <div key={k} className="leaf">
          <span className="k">{k}</span>: {node(x, depth + 1)}
        </div>
      ))}
    </details>
  );
}
