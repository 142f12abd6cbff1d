import type { LiteralRef } from '../../../../shared/messages.ts';
import { formatBytes, looksBinary, printableText } from '../../format.ts';
import { decodeEncodedWords } from '../../../../shared/encoded-words.ts';
import { hexDump, mimeHeaders } from './literals.ts';

/**
 * A literal: size and hash, a link to download the whole body (from the archived raw bytes),
 * then its preview as MIME headers (RFC 2047 encoded words decoded) and text (UTF-8 decoded),
 * or as hex when binary.
 */
export function LiteralView(props: {
  literal: LiteralRef;
  index: number;
  /** URL of the whole body (the API's literal body route); no link without it. */
  download?: string;
}) {
  const { literal, index } = props;
  const binary = literal.literal8 || looksBinary(literal.preview);
  const text = binary ? '' : new TextDecoder('utf-8', { fatal: false }).decode(literal.preview);
  const mime = binary ? null : mimeHeaders(text);
  const cut = literal.preview.length < literal.size;
  return (
    <div className="literal" data-testid="literal">
      <div className="muted">
        Literal {index + 1}: {literal.literal8 ? 'literal8 ' : ''}
        {literal.kind === 'sync' ? 'synchronizing' : 'non-synchronizing (LITERAL+)'},{' '}
        {formatBytes(literal.size)}
        {literal.refused ? ', refused by the server (the body never came)' : ''}
        {cut ? `, first ${formatBytes(literal.preview.length)} shown` : ''}
      </div>
      {literal.refused || !props.download ? null : (
        <a
          className="literal-download"
          href={props.download}
          download
          data-testid="literal-download"
          title="The whole literal as archived (secrets masked), not just the preview"
        >
          ⤓ Download all {formatBytes(literal.size)}
        </a>
      )}
      {literal.sha256 ? (
        <div className="muted mono" title="SHA-256 of the whole body">
          sha256 {literal.sha256.slice(0, 32)}…
        </div>
      ) : null}
      {binary ? (
        <pre className="hex" data-testid="hex">
          {hexDump(literal.preview)}
        </pre>
      ) : mime ? (
        <>
          <dl className="kv">
            {mime.fields.slice(0, 20).map(([k, v], i) => (
              <div key={i} style={{ display: 'contents' }}>
                <dt>{k}</dt>
                <dd title={v === decodeEncodedWords(v) ? undefined : v}>{decodeEncodedWords(v)}</dd>
              </div>
            ))}
          </dl>
          {mime.body ? <pre className="raw">{printableText(mime.body)}</pre> : null}
        </>
      ) : (
        <pre className="raw">{printableText(text)}</pre>
      )}
    </div>
  );
}
