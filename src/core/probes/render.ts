import { FINDINGS_MIME, type CellOutput } from '../format/model';
import { escapeMarkdownInline } from '../util/escape';
import { PROBE_NAMES, ROUTINGS, type Finding, type Routing } from './types';

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

/**
 * 2: findings carry their facts in typed fields (`connection`, `metrics.splitBrain`, `metrics.routing`).
 * 3: table-drift's metrics are the diff engine's (`missingInTarget`, `missingInSource`, `changed`, ...).
 */
const FINDINGS_VERSION = 3;

export function findingsOutput(findings: Finding[]): CellOutput {
  return {
    items: [
      { mime: FINDINGS_MIME, text: JSON.stringify({ version: FINDINGS_VERSION, findings }) },
      { mime: 'text/markdown', text: renderFindingsMarkdown(findings) },
    ],
  };
}

const SEVERITIES = new Set(Object.keys(SEVERITY_ICON));
const PROBES = new Set<string>(PROBE_NAMES);
const ROUTING_NAMES = new Set<string>(ROUTINGS);

/**
 * The findings stored by findingsOutput, read back; an output edited by hand into nonsense holds none, and
 * a finding of a probe this version does not know is dropped.
 */
export function readFindingsOutput(text: string): Finding[] {
  try {
    const parsed = JSON.parse(text) as { version?: unknown; findings?: unknown };
    if (!Array.isArray(parsed.findings)) return [];
    const findings = parsed.findings.filter(isFinding);
    const version = typeof parsed.version === 'number' ? parsed.version : 1;
    return findings.map((f) => withLegacyFacts(f, version));
  } catch {
    return [];
  }
}

/**
 * Findings saved before version 2 had their facts only in their labels; this derives the typed fields from
 * them, here and nowhere else, the way the diagnosis read the labels then: the connection is what precedes
 * the target's first `/` (all of it without one), split brain is a topology summary that starts so, and the
 * routing is the `routing=` of a session-guarantees target. Before version 3 table-drift named its counts
 * missing, extra and different: they become missingInTarget, missingInSource and changed. A field the
 * finding has is kept.
 */
export function withLegacyFacts(finding: Finding, version = 1): Finding {
  if (version >= FINDINGS_VERSION) return finding;
  const renamed = version < 3 && finding.probe === 'table-drift' ? withDriftNames(finding) : finding;
  return version < 2 ? withLabelFacts(renamed) : renamed;
}

const DRIFT_NAMES = [
  ['missing', 'missingInTarget'],
  ['extra', 'missingInSource'],
  ['different', 'changed'],
] as const;

function withDriftNames(finding: Finding): Finding {
  const metrics = { ...finding.metrics };
  for (const [old, current] of DRIFT_NAMES) {
    if (metrics[old] === undefined) continue;
    metrics[current] ??= metrics[old];
    delete metrics[old];
  }
  return { ...finding, metrics };
}

function withLabelFacts(finding: Finding): Finding {
  const { target, probe } = finding;
  const slash = target.indexOf('/');
  const connection = slash < 0 ? target : target.slice(0, slash);
  const routing = /routing=([a-z-]+)/.exec(target)?.[1];
  const metrics = { ...finding.metrics };
  if (probe === 'topology' && finding.summary.startsWith('split brain')) metrics.splitBrain ??= true;
  if (probe === 'session-guarantees' && isRouting(routing)) metrics.routing ??= routing;
  return { ...finding, connection: finding.connection ?? connection, metrics };
}

function isRouting(value: string | undefined): value is Routing {
  return value !== undefined && ROUTING_NAMES.has(value);
}

function isFinding(value: unknown): value is Finding {
  const f = value as Partial<Record<keyof Finding, unknown>> | null;
  return (
    typeof f === 'object' &&
    f !== null &&
    typeof f.probe === 'string' &&
    PROBES.has(f.probe) &&
    typeof f.target === 'string' &&
    (f.connection === undefined || typeof f.connection === 'string') &&
    typeof f.severity === 'string' &&
    SEVERITIES.has(f.severity) &&
    typeof f.summary === 'string' &&
    typeof f.metrics === 'object' &&
    f.metrics !== null
  );
}
