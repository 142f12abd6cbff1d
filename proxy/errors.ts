/**
 * Errors with stable codes. Expected conditions (need more bytes, malformed
 * input) are values, not throws; these are for the operator's mistakes and
 * for failures that end something.
 */
export type ErrorCode =
  'ERR_CONFIG_INVALID' | 'ERR_UPSTREAM_UNAVAILABLE' | 'ERR_LISTEN_FAILED' | 'ERR_PRACTICE_SERVER';

export class ImapscopeError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ImapscopeError';
    this.code = code;
  }
}

/** A bad flag, environment variable or value; `flag` names it for the one-line error. */
export class ConfigError extends ImapscopeError {
  readonly flag: string;
  constructor(flag: string, message: string) {
    super('ERR_CONFIG_INVALID', `${flag}: ${message}`);
    this.name = 'ConfigError';
    this.flag = flag;
  }
}
