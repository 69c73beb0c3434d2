import tseslint from 'typescript-eslint';

// Node's built-in modules, for the core's boundary: with and without the `node:` prefix.
const NODE_BUILTINS = ['assert', 'buffer', 'child_process', 'crypto', 'dns', 'events', 'fs', 'http', 'https', 'net']
  .concat([
    'os',
    'path',
    'perf_hooks',
    'process',
    'readline',
    'stream',
    'timers',
    'tls',
    'url',
    'util',
    'worker_threads',
  ])
  .concat(['zlib']);

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', '.cache/**'] },
  ...tseslint.configs.recommended,
  {
    // Plain CommonJS helpers that run outside the bundle (preloads for measured processes).
    files: ['**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', process: 'readonly', console: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Type-aware rules where they catch real bugs: a promise nobody awaits (a lost error, a cell loop that
    // does not wait), a switch that forgets a case of a union, a thrown string without a stack.
    files: ['src/**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/only-throw-error': 'error',
      '@typescript-eslint/prefer-promise-reject-errors': 'error',
    },
  },
  {
    // Issue 16 item 9: the CLI writes only through src/cli/output.ts, which escapes control characters, so
    // that no text from a server can act on the user's terminal.
    files: ['src/cli/**/*.ts'],
    ignores: ['src/cli/output.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[object.name='console']",
          message: 'print through src/cli/output.ts (printOut, printErr, printJson): it escapes control characters.',
        },
        {
          selector:
            "MemberExpression[object.object.name='process'][object.property.name=/^(stdout|stderr)$/][property.name='write']",
          message: 'print through src/cli/output.ts (printOut, printErr, printJson): it escapes control characters.',
        },
      ],
    },
  },
  {
    // The core is pure TypeScript: it must run in the CLI, the extension host, a webview and tests alike,
    // so the layer boundary is a lint error, not a convention (src/core/tsconfig.json also compiles it
    // without Node or DOM types).
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'vscode', message: 'src/core must not import vscode; put the adapter in src/extension.' },
            {
              name: 'pg',
              message: 'src/core must not import pg; talk to the database through SqlClient (src/core/sql).',
            },
            { name: 'pg-cursor', message: 'src/core must not import pg-cursor; use a driver in src/drivers.' },
            ...NODE_BUILTINS.map((name) => ({
              name,
              message: 'src/core must not use Node modules; inject what it needs.',
            })),
          ],
          patterns: [
            { group: ['node:*'], message: 'src/core must not use Node modules; inject what it needs.' },
            {
              group: ['**/drivers/**', '**/extension/**', '**/cli/**', '**/sandbox/**'],
              message: 'src/core must not depend on outer layers.',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        ...['Buffer', 'process', 'require', '__dirname', '__filename', 'global', 'setImmediate'].map((name) => ({
          name,
          message: 'src/core runs in every host: no Node globals (inject what it needs).',
        })),
      ],
    },
  },
);
