import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { editorLanguage, recordLanguage, SQL_CELL_LANGUAGE } from '../../src/extension/cellLanguage';

// The extension manifest is what VS Code and the Marketplace read; a wrong entry shows only once installed.
const manifest = JSON.parse(fs.readFileSync('package.json', 'utf8'));

describe('SQL cells in VS Code', () => {
  it('label their language PostgreSQL (VS Code names a language by its first alias), not MS SQL', () => {
    const sql = manifest.contributes.languages.find((l: { id: string }) => l.id === SQL_CELL_LANGUAGE);
    expect(sql.aliases[0]).toBe('PostgreSQL');
    const grammar = manifest.contributes.grammars.find((g: { language: string }) => g.language === SQL_CELL_LANGUAGE);
    const rules = JSON.parse(fs.readFileSync(grammar.path, 'utf8'));
    expect(rules.patterns).toEqual([{ include: 'source.sql' }]);
  });

  it('keep `sql` in the record: a saved cell reads back as the same language', () => {
    expect(editorLanguage('sql')).toBe(SQL_CELL_LANGUAGE);
    expect(recordLanguage(editorLanguage('sql'))).toBe('sql');
    expect(recordLanguage('cnprobe')).toBe('cnprobe');
  });
});

describe('the extension manifest, for the Marketplace', () => {
  it('has an icon (a 128 px PNG), a repository and a changelog, so vsce packages it without waivers', () => {
    const png = fs.readFileSync(manifest.icon);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([128, 128]);
    expect(manifest.repository.url).toMatch(/^https:\/\/github\.com\/.+\.git$/);
    expect(fs.existsSync('CHANGELOG.md')).toBe(true);
    expect(manifest.scripts.package).not.toContain('--allow-missing-repository');
  });

  it('activates on a cnbook notebook, a workspace with runbooks or its commands, not in every window', () => {
    // Contributed commands and walkthrough links activate the extension on their own (VS Code 1.74+).
    expect(manifest.activationEvents).toEqual([
      'onNotebook:cnbook',
      'onWebviewPanel:cnbook.investigationMap',
      'workspaceContains:**/*.cnbook',
    ]);
  });
});
