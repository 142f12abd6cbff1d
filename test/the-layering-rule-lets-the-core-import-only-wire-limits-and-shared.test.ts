import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The import sources the repository's ESLint config refuses in a file at `path`. */
async function refused(path: string, sources: string[]): Promise<string[]> {
  const code = sources.map((s, i) => `import * as m${i} from '${s}';\nvoid m${i};\n`).join('');
  const [result] = await new ESLint({ cwd: root }).lintText(code, { filePath: path });
  return result!.messages
    .filter((m) => m.ruleId === 'no-restricted-imports')
    .map((m) => sources[(m.line - 1) / 2]!);
}

describe('the layering rule (eslint.config.js)', () => {
  it('lets session/ import wire/, limits.ts and shared/, and nothing else of proxy/', async () => {
    const sources = [
      './events.ts',
      '../wire/framer.ts',
      '../limits.ts',
      '../../shared/events.ts',
      '../transport.ts',
      '../config.ts',
      '../errors.ts',
      '../paths.ts',
      '../log.ts',
      '../net/relay.ts',
      '../hub/hub.ts',
    ];
    expect(await refused('proxy/session/probe.ts', sources)).toEqual(sources.slice(4));
  }, 60_000);

  it('lets wire/ import limits.ts and shared/ only, and limits.ts import nothing', async () => {
    expect(
      await refused('proxy/wire/probe.ts', [
        './framer.ts',
        '../limits.ts',
        '../../shared/messages.ts',
        '../session/tracker.ts',
        '../transport.ts',
      ]),
    ).toEqual(['../session/tracker.ts', '../transport.ts']);
    expect(await refused('proxy/limits.ts', ['../shared/direction.ts'])).toEqual([
      '../shared/direction.ts',
    ]);
  }, 60_000);
});
