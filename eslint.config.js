import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';

/**
 * The layering rule (DESIGN.md, "Layers import downward only"). Each entry names a folder of
 * proxy/ and the folders above it that it must not import. Lowest first:
 *   shared ← wire ← session ← inspection/pipeline ← hub ← archive, export, import ← ui
 *          ← inspection (the worker that composes them) ← app ← cli
 * net/ sits beside the pipeline: it never imports session/ or anything above it, and the
 * pipeline meets it only through proxy/transport.ts. The viewer imports only shared/.
 */
const ABOVE_PIPELINE = ['hub', 'archive', 'export', 'import', 'ui', 'cli', 'app.ts', 'practice'];
const layers = [
  {
    dir: 'wire',
    forbid: ['session', 'net', 'inspection', ...ABOVE_PIPELINE, 'config.ts', 'log.ts'],
  },
  { dir: 'session', forbid: ['net', 'inspection', ...ABOVE_PIPELINE, 'log.ts'] },
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
const layerRules = layers.map(({ dir, file, forbid }) => ({
  files: [file ? `proxy/${file}` : `proxy/${dir}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          {
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
