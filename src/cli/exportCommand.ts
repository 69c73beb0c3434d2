import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ChartId } from '../core/diagnosis';
import { chartToSvg } from '../core/diagnosis/svg';
import { buildReport } from '../core/record/report';
import { recordJson } from '../core/record/recordJson';
import { renderReportHtml } from '../core/record/reportHtml';
import { renderReportMarkdown } from '../core/record/reportMarkdown';
import type { IncidentReport } from '../core/record/reportModel';
import { writeFileAtomically } from '../drivers/recordFile';
import { lastValue, parseFlags, type FlagKind } from './flags';
import { UsageError } from './usageError';
import { readRunbook } from './readRunbook';
import { printErr } from './output';

export type ReportFormat = 'md' | 'html' | 'json';

export interface ExportArgs {
  file: string;
  format: ReportFormat;
  out: string;
}

const FLAGS: Record<string, FlagKind> = { '--format': 'value', '--out': 'value' };

export function parseExportArgs(argv: string[]): ExportArgs {
  const flags = parseFlags(argv, FLAGS);
  const files = flags.positionals;
  const format = lastValue(flags, '--format');
  const out = lastValue(flags, '--out');
  if (files.length !== 1)
    throw new UsageError(
      files.length === 0 ? 'export needs a record file' : `export takes one file, got ${files.length}`,
    );
  const file = files[0] ?? '';
  const chosen =
    format ?? (out?.toLowerCase().endsWith('.md') ? 'md' : out?.toLowerCase().endsWith('.json') ? 'json' : 'html');
  if (chosen !== 'md' && chosen !== 'html' && chosen !== 'json')
    throw new UsageError(`--format expects md, html or json, got '${chosen}'`);
  return { file, format: chosen, out: out ?? defaultOut(file, chosen) };
}

/** `incident.cnbook` → `incident.report.html` beside it. */
export function defaultOut(file: string, format: ReportFormat): string {
  const parsed = path.parse(file);
  const stem = parsed.ext.toLowerCase() === '.cnbook' ? parsed.name : parsed.base;
  return path.join(parsed.dir, `${stem}.report.${format}`);
}

/** Writes the report of a record (HTML, or Markdown with its charts as SVG files beside it); never over the input. */
export function exportCommand(argv: string[]): number {
  const args = parseExportArgs(argv);
  const notebook = readRunbook(args.file);
  const report = buildReport(notebook);
  if (!report.ran)
    printErr(`warning: ${args.file} has not been run: no cell has results; exporting the runbook as written`);
  const files =
    args.format === 'json'
      ? [{ file: args.out, text: `${JSON.stringify(recordJson(notebook), null, 2)}\n` }]
      : args.format === 'html'
        ? [{ file: args.out, text: renderReportHtml(report) }]
        : markdownFiles(report, args.out);
  for (const f of files) refuseInput(args.file, f.file);
  for (const f of files) {
    try {
      writeFileAtomically(f.file, f.text);
    } catch (error) {
      throw new UsageError(
        `cannot write ${f.file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      );
    }
    printErr(`wrote ${f.file} (${(Buffer.byteLength(f.text) / 1024).toFixed(1)} KB)`);
  }
  return 0;
}

/** The Markdown report and one SVG per chart, named after it (`X.report.strong.svg`), linked by relative path. */
function markdownFiles(report: IncidentReport, out: string): { file: string; text: string }[] {
  const stem = out.toLowerCase().endsWith('.md') ? out.slice(0, -3) : out;
  const svgs = report.maps.map((m) => ({
    chart: m.chart.id,
    file: `${stem}.${m.chart.id}.svg`,
    text: chartToSvg(m.chart, m.states),
  }));
  const svgFiles: Partial<Record<ChartId, string>> = Object.fromEntries(
    svgs.map((s) => [s.chart, path.relative(path.dirname(out), s.file).split(path.sep).join('/')]),
  );
  return [
    { file: out, text: renderReportMarkdown(report, { svgFiles }) },
    ...svgs.map(({ file, text }) => ({ file, text })),
  ];
}

function refuseInput(input: string, output: string): void {
  const same = (a: string, b: string) => {
    try {
      return fs.realpathSync(a) === fs.realpathSync(b);
    } catch {
      return path.resolve(a) === path.resolve(b);
    }
  };
  if (same(input, output))
    throw new UsageError(
      `--out ${output} is the record itself; export never overwrites the input, choose another file`,
    );
}
