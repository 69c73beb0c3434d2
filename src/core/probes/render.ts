import { FINDINGS_MIME, type CellOutput } from '../format/model';
import { escapeMarkdownInline } from '../util/escape';
import type { Finding } from './types';

export const SEVERITY_ICON: Record<Finding['severity'], string> = { ok: '🟢', warning: '🟡', critical: '🔴', unknown: '⚪' };

export function renderFindingsMarkdown(findings: Finding[]): string {
  if (findings.length === 0) return '*no findings*';
  return findings
    .map((f) => `- ${SEVERITY_ICON[f.severity]} **${escapeMarkdownInline(f.probe)}** ${escapeMarkdownInline(f.target)}: ${escapeMarkdownInline(f.summary)}`)
    .join('\n');
}

export function findingsOutput(findings: Finding[]): CellOutput {
  return {
    items: [
      { mime: FINDINGS_MIME, text: JSON.stringify({ version: 1, findings }) },
      { mime: 'text/markdown', text: renderFindingsMarkdown(findings) },
    ],
  };
}
