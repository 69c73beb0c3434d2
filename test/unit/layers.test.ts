import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// The layer rule is enforced by lint; this proves the rule itself bites, so it cannot silently rot.
describe('src/core stays pure', () => {
  const eslint = new ESLint({ cwd: process.cwd() });
  const lint = async (code: string, filePath: string) =>
    (await eslint.lintText(code, { filePath }))[0]?.messages.map((m) => m.ruleId) ?? [];

  it.each([
    ["import * as vscode from 'vscode';\nexport const v = vscode;", 'vscode'],
    ["import { Client } from 'pg';\nexport const c = Client;", 'pg'],
    ["import { NodePostgresClient } from '../../drivers/pgClient';\nexport const c = NodePostgresClient;", 'drivers'],
  ])('rejects %s in src/core', async (code) => {
    expect(await lint(code, 'src/core/sql/example.ts')).toContain('no-restricted-imports');
  });

  it('allows pg in a driver', async () => {
    expect(
      await lint("import { Client } from 'pg';\nexport const c = Client;", 'src/drivers/example.ts'),
    ).not.toContain('no-restricted-imports');
  });
});
