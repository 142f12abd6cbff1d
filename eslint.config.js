import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';

/**
 * The layering rule (DESIGN.md, "Layers import downward only"). Each entry names a folder of
 * proxy/ and either the folders above it that it must not import (`forbid`) or, for the core,
 * the only parts of proxy/ it may import besides shared/ (`only`). Lowest first:
 *   shared ← wire ← session ← inspection/pipeline ← hub ← archive, export, import ← ui
 *          ← inspection (the worker that composes them) ← app ← cli
 * net/ sits beside the pipeline: it never imports session/ or anything above it, and the
 * pipeline meets it only through proxy/transport.ts. The viewer imports only shared/.
 */
const ABOVE_PIPELINE = ['hub', 'archive', 'export', 'import', 'ui', 'cli', 'app.ts', 'practice'];
const layers = [
  // The core is an allow-list: anything of proxy/ it does not name is forbidden, so a new
  // top-level module (transport.ts, config.ts, errors.ts…) cannot slip into it. limits.ts is
  // allowed as the one table of caps (DESIGN.md rule 5); it imports nothing (its rule below).
  { dir: 'wire', only: ['limits.ts'] },
  { dir: 'session', only: ['wire', 'limits.ts'] },
  { dir: 'net', forbid: ['wire', 'session', 'inspection', ...ABOVE_PIPELINE] },
  { dir: 'hub', forbid: ['archive', 'export', 'import', 'ui', 'cli', 'app.ts', 'practice'] },
  { dir: 'archive', forbid: ['ui', 'cli', 'app.ts', 'practice', 'export', 'import'] },
  { dir: 'export', forbid: ['ui', 'cli', 'app.ts', 'practice', 'import'] },
  { dir: 'import', forbid: ['ui', 'cli', 'app.ts', 'practice'] },
  { dir: 'ui', forbid: ['cli', 'app.ts', 'practice'] },
  { dir: 'inspection', forbid: ['cli', 'app.ts'] },
  // after its folder's entry: for one file, the last matching entry's rule is the one that holds
  { file: 'inspection/pipeline.ts', forbid: ['net', ...ABOVE_PIPELINE] },
  {
    dir: 'practice',
    forbid: ['wire', 'session', 'net', 'inspection', 'hub', 'archive', 'ui', 'cli', 'app.ts'],
  },
];
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const layerRules = layers.map(({ dir, file, forbid, only }) => ({
  files: [file ? `proxy/${file}` : `proxy/${dir}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          only
            ? {
                // Any `../` import but `../<allowed>` (a file, or a folder and what is in it)
                // and `../../shared/`; the folder's own `./` imports are not matched.
                regex: `^\\.\\./(?!(?:${only.map(escape).join('|')})(?:/|$)|\\.\\./shared/)`,
                message: `proxy/${dir} imports only ${only.map((o) => `proxy/${o}`).join(', ')} and shared/ (see the layering rule in eslint.config.js)`,
              }
            : {
                group: forbid.flatMap((f) => [
                  `../${f}`,
                  `../${f}/*`,
                  `../**/proxy/${f}`,
                  `../**/proxy/${f}/*`,
                ]),
                message: `proxy/${file ?? dir} must not import this layer (see the layering rule in eslint.config.js)`,
              },
          { group: ['**/viewer/*'], message: 'proxy/ never imports the viewer' },
        ],
      },
    ],
  },
}));

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'viewer/dist/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  // The viewer's components: the rules of hooks.
  { files: ['viewer/src/**/*.{ts,tsx}'], ...reactHooks.configs.flat.recommended },
  ...layerRules,
  {
    files: ['viewer/src/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/proxy/*'], message: 'the viewer imports only shared/' }] },
      ],
    },
  },
  {
    // The table of caps is a leaf: wire/ and session/ may import it because it imports nothing.
    files: ['proxy/limits.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: '^\\.', message: 'proxy/limits.ts imports nothing' }] },
      ],
    },
  },
  {
    files: ['shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/proxy/*', '**/viewer/*'], message: 'shared/ imports nothing above it' },
          ],
        },
      ],
    },
  },
);
