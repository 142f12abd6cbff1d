/** How a leg is secured: not at all, TLS from the first byte, or after a STARTTLS command. */
export type TlsMode = 'none' | 'implicit' | 'starttls';

/** Every mode, in the order the help text lists them. */
export const TLS_MODES: readonly TlsMode[] = ['none', 'implicit', 'starttls'];
