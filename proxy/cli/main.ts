import { Command, CommanderError, Option } from 'commander';
import { mkdirSync, readFileSync } from 'node:fs';
import { ConfigError, ImapscopeError } from '../errors.ts';
import { OPTION_TABLE, SWITCH_TABLE, resolveConfig } from '../config.ts';
import type { RawOptions, RawSwitches } from '../config.ts';
import { createLogger } from '../log.ts';
import { startImapscope } from '../app.ts';
import { addArchiveCommands } from './archive-commands.ts';
import { addQueryCommands } from './query-commands.ts';
import { CertificateAuthority } from '../net/ca.ts';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

/** Usage errors: one line on stderr naming the flag, exit code 2. */
function usageError(message: string): never {
  process.stderr.write(`imapscope: ${message}\n`);
  process.exit(2);
}

function buildProgram(): Command {
  const program = new Command('imapscope')
    .description(
      'A transparent IMAP proxy and live traffic inspector: point a mail client at --listen, ' +
        'imapscope forwards every byte to --upstream and shows the conversation in the viewer at --ui.',
    )
    .version(pkg.version)
    .exitOverride()
    .configureOutput({
      outputError: (str, write) =>
        write(
          `imapscope: ${str
            .replace(/^error: /, '')
            .trim()
            .replace(/\s*\n\s*/g, ' ')}\n`,
        ),
    })
    .addHelpText(
      'after',
      '\nEvery flag can also be set in the environment variable shown beside it; flags win.\n' +
        'Without --upstream, imapscope starts a built-in practice IMAP server; the "ready" log line\n' +
        'gives its user and password and the viewer URL with its token.',
    );
  for (const row of OPTION_TABLE) {
    const def = row.def === undefined ? '' : ` (default: ${row.def})`;
    program.addOption(
      new Option(`${row.flag} <${row.value}>`, `${row.help}${def} [env ${row.env}]`),
    );
  }
  for (const row of SWITCH_TABLE) {
    program.addOption(new Option(row.flag, `${row.help} [env ${row.env}]`));
  }
  program.action(async (opts: RawOptions & RawSwitches) => {
    const config = resolveConfig(opts, process.env);
    const log = createLogger(config.logLevel);
    const app = await startImapscope(config, log);
    const shutdown = (signal: string): void => {
      log.info({ signal }, 'shutting down');
      void app.close().then(() => {
        log.flush();
        process.exit(0);
      });
    };
    process.once('SIGINT', () => shutdown('SIGINT'));
    process.once('SIGTERM', () => shutdown('SIGTERM'));
  });
  program
    .command('ca')
    .description(
      "print where imapscope's CA certificate is, its fingerprint and its PEM (creating the CA " +
        'in the data dir on first use); trust it in mail clients used with --client-tls',
    )
    .action(async (_opts: unknown, cmd: Command) => {
      const config = resolveConfig(cmd.optsWithGlobals<RawOptions & RawSwitches>(), process.env);
      mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
      const ca = await CertificateAuthority.load(config.dataDir);
      process.stdout.write(
        `CA certificate: ${ca.certPath}\nSHA-256 fingerprint: ${ca.fingerprint256}\n${ca.certPem}`,
      );
    });
  addArchiveCommands(program);
  addQueryCommands(program);
  return program;
}

try {
  await buildProgram().parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') process.exit(0);
    process.exit(2); // commander already printed the one-line error
  }
  if (err instanceof ConfigError) usageError(err.message);
  if (err instanceof ImapscopeError) usageError(err.message);
  throw err;
}
