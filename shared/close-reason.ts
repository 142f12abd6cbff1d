/**
 * Why a session ended: the relay decides it (proxy/net/relay.ts), the session.close event
 * carries it, the log, the archive's session row and the viewer's list show it.
 */

/** Why the relay ended a live session; the first cause recorded wins over `closed`. */
export type CloseReason =
  | 'closed' // both sides closed normally
  | 'client-reset'
  | 'upstream-reset'
  | 'client-error'
  | 'upstream-error'
  | 'upstream-unavailable'
  | 'client-tls-failed' // the client's TLS handshake failed (implicit or after STARTTLS)
  | 'upstream-tls-failed' // the upstream's handshake or certificate verification failed
  | 'starttls-injection' // more plaintext after STARTTLS than MAX_TRANSPORT_HOLD_BYTES
  | 'idle-timeout' // no byte either way for --idle-timeout
  | 'shutdown'
  // Not the relay's: the tracker's, for `closed` when the upstream closed first without a BYE.
  | 'upstream-closed';

/** An imported session's end (`imported`, then `; ` and the import's notes, if any). */
export type ImportedReason = 'imported' | `imported; ${string}`;

/**
 * A session row's end besides the event's: `interrupted` when the process that relayed it died
 * (SIGKILL, crash) before its close was recorded.
 */
export type RowEndReason = CloseReason | ImportedReason | 'interrupted';
