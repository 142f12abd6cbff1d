/** Why a file cannot be imported: one line for the user (exit code 2 through the CLI). */
export class ImportError extends Error {
  constructor(
    readonly code:
      | 'ERR_IMPORT_UNRECOGNIZED'
      | 'ERR_IMPORT_RAWLOG_PAIR'
      | 'ERR_IMPORT_JSONL'
      | 'ERR_IMPORT_DUPLICATE',
    message: string,
  ) {
    super(message);
    this.name = 'ImportError';
  }
}
