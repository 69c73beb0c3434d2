import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// The layer rule is enforced by lint; this proves the rule itself bites, so it cannot silently rot.
describe('src/core stays pure', () => {
  // The boundary rules of the real config, on text that is in no tsconfig: without the type-aware rules,
  // which need a file the TypeScript project knows.
  const typeAware = ['no-floating-promises', 'no-misused-promises', 'switch-exhaustiveness-check']
    .concat(['only-throw-error', 'prefer-promise-reject-errors'])
    .map((rule) => [`@typescript-eslint/${rule}`, 'off']);
  const eslint = new ESLint({
    cwd: process.cwd(),
    overrideConfig: {
      files: ['src/**/*.ts'],
      languageOptions: { parserOptions: { projectService: false } },
      rules: Object.fromEntries(typeAware),
    },
  });
  const lint = async (code: string, filePath: string) =>
    (await eslint.lintText(code, { filePath }))[0]?.messages.map((m) => m.ruleId) ?? [];

  it.each([
    ["import * as vscode from 'vscode';\nexport const v = vscode;", 'vscode'],
    ["import { Client } from 'pg';\nexport const c = Client;", 'pg'],
    ["import { NodePostgresClient } from '../../drivers/pgClient';\nexport const c = NodePostgresClient;", 'drivers'],
    ["import * as fs from 'node:fs';\nexport const f = fs;", 'node:fs'],
    ["import * as fs from 'fs';\nexport const f = fs;", 'fs'],
    ["import { createHash } from 'crypto';\nexport const h = createHash;", 'crypto'],
  ])('rejects %s in src/core', async (code) => {
    expect(await lint(code, 'src/core/sql/example.ts')).toContain('no-restricted-imports');
  });

  it.each([
    ['export const home = process.env.HOME;', 'process'],
    ["export const bytes = Buffer.from('x');", 'Buffer'],
  ])('rejects the Node global in %s', async (code) => {
    expect(await lint(code, 'src/core/sql/example.ts')).toContain('no-restricted-globals');
  });

  it('allows pg in a driver', async () => {
    expect(
      await lint("import { Client } from 'pg';\nexport const c = Client;", 'src/drivers/example.ts'),
    ).not.toContain('no-restricted-imports');
  });
});
