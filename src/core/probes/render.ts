import { FINDINGS_MIME, type CellOutput } from '../format/model';
import { escapeMarkdownInline } from '../util/escape';
import type { Finding } from './types';

export const SEVERITY_ICON: Record<Finding['severity'], string> = {
  ok: '🟢',
  warning: '🟡',
  critical: '🔴',
  unknown: '⚪',
};

export function renderFindingsMarkdown(findings: Finding[]): string {
  if (findings.length === 0) return '*no findings*';
  return findings
    .map(
      (f) =>
        `- ${SEVERITY_ICON[f.severity]} **${escapeMarkdownInline(f.probe)}** ${escapeMarkdownInline(f.target)}: ${escapeMarkdownInline(f.summary)}`,
    )
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

const SEVERITIES = new Set(Object.keys(SEVERITY_ICON));

/** The findings stored by findingsOutput, read back; an output edited by hand into nonsense holds none. */
export function readFindingsOutput(text: string): Finding[] {
  try {
    const parsed = JSON.parse(text) as { findings?: unknown };
    return Array.isArray(parsed.findings) ? parsed.findings.filter(isFinding) : [];
  } catch {
    return [];
  }
}

function isFinding(value: unknown): value is Finding {
  const f = value as Partial<Finding> | null;
  return (
    typeof f === 'object' &&
    f !== null &&
    typeof f.probe === 'string' &&
    typeof f.target === 'string' &&
    SEVERITIES.has(f.severity as string) &&
    typeof f.summary === 'string' &&
    typeof f.metrics === 'object' &&
    f.metrics !== null
  );
}
