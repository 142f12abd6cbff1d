import type { ImapscopeEvent, TlsEstablishedEvent } from '../../../../shared/events.ts';
import { assertNever } from '../../../../shared/events.ts';
import { literalBodyUrl } from '../../api.ts';
import { formatBytes, formatLatency, formatTime, STATE_LABELS } from '../../format.ts';
import type { SessionModel } from '../../state/session-model.ts';
import { DecodedTree } from './decoded-tree.tsx';
import { LiteralView } from './literal-view.tsx';
import { messageLiterals } from '../../../../shared/message-literals.ts';
import { RawText } from './raw-text.tsx';

/** Everything about the selected row: the raw text, the decoded tree, literals, TLS details. */
export function Inspector({
  model,
  seq,
  token,
}: {
  model: SessionModel;
  seq: number | null;
  /** The viewer's token, for the literal download links. */
  token?: string | null;
}) {
  const e = seq === null ? undefined : model.events[seq];
  return (
    <section className="panel" data-testid="inspector">
      <h3>Inspector</h3>
      {e ? (
        <EventDetails model={model} e={e} token={token ?? null} />
      ) : (
        <p className="muted">Select a row to inspect it.</p>
      )}
    </section>
  );
}

function EventDetails(props: { model: SessionModel; e: ImapscopeEvent; token: string | null }) {
  const { model, e, token } = props;
  const group = model.groupOf(e.seq);
  const x = group?.seq === e.seq ? group.exchange : null;
  const head = (
    <dl className="kv">
      <dt>event</dt>
      <dd>
        #{e.seq} {e.type} at {formatTime(e.at)}
      </dd>
      {e.type === 'message' || e.type === 'malformed' ? (
        <>
          <dt>direction</dt>
          <dd>{e.direction === 'c2s' ? 'client → server (c2s)' : 'server → client (s2c)'}</dd>
          <dt>bytes</dt>
          <dd>
            {formatBytes(e.message.length)} at stream offset {e.message.offset}
          </dd>
        </>
      ) : null}
      {x ? (
        <>
          <dt>completion</dt>
          <dd>
            <span className={`badge ${x.status}`}>{x.status}</span>{' '}
            {x.code ? `[${x.code.raw}] ` : ''}
            {x.text}
          </dd>
          <dt>latency</dt>
          <dd>{x.latencyMs === null ? '–' : formatLatency(x.latencyMs)}</dd>
          <dt>answers</dt>
          <dd>
            {x.untaggedCount} untagged, {x.continuationSeqs.length} continuation requests
          </dd>
        </>
      ) : null}
    </dl>
  );
  switch (e.type) {
    case 'message':
    case 'malformed': {
      const literals = messageLiterals(e.message);
      const { raw: _raw, ...decoded } = e.message;
      return (
        <>
          {head}
          <RawText raw={e.message.raw} />
          {literals.map((l, i) => (
            <LiteralView
              key={i}
              literal={l}
              index={i}
              download={literalBodyUrl(model.id, e.seq, i, token)}
            />
          ))}
          <h3 style={{ marginTop: 10 }}>Decoded</h3>
          <DecodedTree value={decoded} />
        </>
      );
    }
    case 'tls.established':
      return (
        <>
          {head}
          <TlsDetails e={e} />
        </>
      );
    case 'compress.started':
      return (
        <>
          {head}
          <p>
            COMPRESS={e.algorithm} (RFC 4978) took effect after {e.tag}'s OK: from here both
            directions are deflate streams. imapscope inflates them to inspect and forwards the
            compressed bytes unchanged.
          </p>
        </>
      );
    case 'state.change':
      return (
        <>
          {head}
          <dl className="kv">
            <dt>from → to</dt>
            <dd>
              {STATE_LABELS[e.from]} → {STATE_LABELS[e.to]}
            </dd>
            <dt>cause</dt>
            <dd>
              {e.cause.tag ?? ''} {e.cause.command ?? ''} {e.cause.text}
            </dd>
            {e.mailbox ? (
              <>
                <dt>mailbox</dt>
                <dd>
                  {e.mailbox} {e.readOnly ? '(read-only)' : ''}
                </dd>
              </>
            ) : null}
          </dl>
        </>
      );
    case 'session.open':
    case 'session.close':
    case 'session.facts':
    case 'exchange':
    case 'lint':
    case 'gap': {
      const { v: _v, session: _s, ...rest } = e;
      return (
        <>
          {head}
          <DecodedTree value={rest} />
        </>
      );
    }
    default:
      return assertNever(e);
  }
}

function TlsDetails({ e }: { e: TlsEstablishedEvent }) {
  const c = e.certificate;
  return (
    <dl className="kv" data-testid="tls">
      <dt>leg</dt>
      <dd>
        {e.leg === 'client' ? 'mail client ⇄ imapscope' : 'imapscope ⇄ upstream server'} ({e.via})
      </dd>
      <dt>protocol</dt>
      <dd>{e.protocol ?? '–'}</dd>
      <dt>cipher</dt>
      <dd>{e.cipher ?? '–'}</dd>
      <dt>SNI / ALPN</dt>
      <dd>
        {e.sni ?? '–'} / {e.alpn ?? '–'}
      </dd>
      {e.authorized !== null ? (
        <>
          <dt>verified</dt>
          <dd>{e.authorized ? 'yes' : `no: ${e.authorizationError ?? 'unknown reason'}`}</dd>
        </>
      ) : null}
      {c ? (
        <>
          <dt>certificate</dt>
          <dd>{c.subject}</dd>
          <dt>issuer</dt>
          <dd>{c.issuer}</dd>
          <dt>names</dt>
          <dd>{c.subjectAltName ?? '–'}</dd>
          <dt>valid</dt>
          <dd>
            {c.validFrom} – {c.validTo}
          </dd>
          <dt>SHA-256</dt>
          <dd className="mono">{c.fingerprint256}</dd>
        </>
      ) : null}
    </dl>
  );
}
