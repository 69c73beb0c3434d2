import * as fs from 'node:fs';
import * as path from 'node:path';
import { printNotebook } from '../core/format';
import { INCIDENT_SEVERITIES, incidentPath, newIncident, type IncidentSeverity } from '../core/record/incident';
import { nodeEnvironment } from '../drivers/nodeEnvironment';
import { writeFileAtomically } from '../drivers/recordFile';
import { lastValue, parsedValue, parseFlags, type FlagKind } from './flags';
import { UsageError } from './usageError';
import { readRunbook } from './readRunbook';
import { printOut, printErr } from './output';

interface IncidentArgs {
  runbook: string;
  title?: string;
  severity?: IncidentSeverity;
  id?: string;
  responders: string[];
  commander?: string;
  dir: string;
}

const OPTIONS: Record<string, FlagKind> = {
  '--title': 'value',
  '--severity': 'value',
  '--id': 'value',
  '--responder': 'value',
  '--commander': 'value',
  '--dir': 'value',
};

/** `cnbook incident new RUNBOOK`: copies a runbook to incidents/YYYY-MM-DD-slug.cnbook with incident: filled. */
export function incidentCommand(argv: string[]): number {
  const [verb, ...rest] = argv;
  if (verb !== 'new') throw new UsageError(`incident takes 'new', found '${verb ?? ''}'`);
  const args = parseIncidentArgs(rest);
  const runbook = readRunbook(args.runbook);
  const title = args.title ?? (typeof runbook.frontMatter.title === 'string' ? runbook.frontMatter.title : '');
  const incident = newIncident(runbook, {
    title,
    responders: args.responders.length > 0 ? args.responders : [nodeEnvironment().osUser],
    now: new Date(),
    ...(args.severity ? { severity: args.severity } : {}),
    ...(args.id ? { id: args.id } : {}),
    ...(args.commander ? { commander: args.commander } : {}),
  });
  const fields = incident.frontMatter.incident as { opened: string; title: string; id: string };
  const relative = incidentPath(fields, (p) => fs.existsSync(path.join(args.dir, p)));
  const target = path.join(args.dir, relative);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  // Exclusive: a file that appeared since the check is never overwritten.
  writeFileAtomically(target, printNotebook(incident), { exclusive: true });
  printOut(target);
  printErr(`incident ${fields.id} opened; run it with: cnbook run ${target} --profile NAME --out ${target}`);
  return 0;
}

function parseIncidentArgs(argv: string[]): IncidentArgs {
  const flags = parseFlags(argv, OPTIONS);
  const [runbook, extra] = flags.positionals;
  if (!runbook) throw new UsageError('incident new needs a runbook file');
  if (extra !== undefined) throw new UsageError(`incident new takes one runbook, found '${runbook}' and '${extra}'`);
  return {
    runbook,
    title: lastValue(flags, '--title'),
    severity: parsedValue(flags, '--severity', severityArg),
    id: lastValue(flags, '--id'),
    responders: flags.values.get('--responder') ?? [],
    commander: lastValue(flags, '--commander'),
    dir: lastValue(flags, '--dir') ?? '.',
  };
}

function severityArg(_flag: string, text: string): IncidentSeverity {
  const severity = INCIDENT_SEVERITIES.find((s) => s === text.toLowerCase());
  if (!severity) throw new UsageError(`--severity expects one of ${INCIDENT_SEVERITIES.join(', ')}, got '${text}'`);
  return severity;
}
