import * as fs from 'node:fs';
import * as path from 'node:path';
import { printNotebook } from '../core/format';
import { INCIDENT_SEVERITIES, incidentPath, newIncident, type IncidentSeverity } from '../core/record/incident';
import { didYouMean } from '../core/util/suggest';
import { nodeEnvironment } from '../drivers/nodeEnvironment';
import { UsageError } from './args';
import { readRunbook } from './readRunbook';

interface IncidentArgs {
  runbook: string;
  title?: string;
  severity?: IncidentSeverity;
  id?: string;
  responders: string[];
  dir: string;
}

const OPTIONS = ['--title', '--severity', '--id', '--responder', '--dir'];

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
  });
  const fields = incident.frontMatter.incident as { opened: string; title: string; id: string };
  const relative = incidentPath(fields, (p) => fs.existsSync(path.join(args.dir, p)));
  const target = path.join(args.dir, relative);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  // wx: a file that appeared since the check is never overwritten.
  fs.writeFileSync(target, printNotebook(incident), { encoding: 'utf8', flag: 'wx' });
  console.log(target);
  console.error(`incident ${fields.id} opened; run it with: cnbook run ${target} --profile NAME --out ${target}`);
  return 0;
}

function parseIncidentArgs(argv: string[]): IncidentArgs {
  const args: IncidentArgs = { runbook: '', responders: [], dir: '.' };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] ?? '';
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    if (flag === '--title') args.title = value();
    else if (flag === '--severity') args.severity = severityArg(value());
    else if (flag === '--id') args.id = value();
    else if (flag === '--responder') args.responders.push(value());
    else if (flag === '--dir') args.dir = value();
    else if (flag.startsWith('-')) throw new UsageError(`unknown option ${flag}${didYouMean(flag, OPTIONS)}`);
    else if (args.runbook)
      throw new UsageError(`incident new takes one runbook, found '${args.runbook}' and '${flag}'`);
    else args.runbook = flag;
  }
  if (!args.runbook) throw new UsageError('incident new needs a runbook file');
  return args;
}

function severityArg(text: string): IncidentSeverity {
  const severity = INCIDENT_SEVERITIES.find((s) => s === text.toLowerCase());
  if (!severity) throw new UsageError(`--severity expects one of ${INCIDENT_SEVERITIES.join(', ')}, got '${text}'`);
  return severity;
}
