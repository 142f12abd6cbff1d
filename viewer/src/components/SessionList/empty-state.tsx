/**
 * What a new user sees before any session: how to point a mail client at imapscope. The
 * listen address comes from the hub when it tells (`/api/status`), else the default.
 */
export function EmptyState({ listen }: { listen: string | null }) {
  const address = listen ?? '127.0.0.1:1143';
  const [host, port] = splitHostPort(address);
  return (
    <div className="empty" data-testid="empty-state">
      <h2>No IMAP sessions yet</h2>
      <p>
        imapscope sits between a mail client and its server. Point your client at imapscope instead
        of the server, and every command and response shows up here as it happens.
      </p>
      <ol>
        <li>
          In your mail client's account settings, set the <b>IMAP server</b> to <code>{host}</code>{' '}
          and the <b>port</b> to <code>{port}</code>
          {listen ? null : (
            <span className="muted"> (the default; the address imapscope printed as "listen")</span>
          )}
          . Use the security setting imapscope was started with (<code>--client-tls</code>; plain by
          default).
        </li>
        <li>Log in as usual: imapscope forwards everything, byte for byte, to the real server.</li>
        <li>Sessions appear in this list live; click one to see its exchanges.</li>
      </ol>
      <p>Or try it from a terminal (without --upstream imapscope runs its practice server):</p>
      <pre>{`curl -v --login-options AUTH=PLAIN imap://${address}/INBOX -u learner:practice\n`}</pre>
      <pre>{`nc -C ${host} ${port}\na1 LOGIN learner practice\na2 SELECT INBOX\na3 FETCH 1:3 (FLAGS ENVELOPE)\na4 LOGOUT`}</pre>
    </div>
  );
}

function splitHostPort(address: string): [string, string] {
  const i = address.lastIndexOf(':');
  return i < 0 ? [address, '143'] : [address.slice(0, i), address.slice(i + 1)];
}
