import tseslint from 'typescript-eslint';

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
    // The core is pure TypeScript: it must run in the CLI, the extension host and tests alike,
    // so the layer boundary is a lint error, not a convention.
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
          ],
          patterns: [
            {
              group: ['**/drivers/**', '**/extension/**', '**/cli/**'],
              message: 'src/core must not depend on outer layers.',
            },
          ],
        },
      ],
    },
  },
);
