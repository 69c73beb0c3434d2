import { conclusionOf } from '../diagnosis/model';
import { outputFindings } from '../diagnosis/notebook';
import { cellIdOf } from '../format/cellIds';
import { isObject } from '../format/json';
import type { Cell, CellOutput, JsonObject, Notebook } from '../format/model';
import type { Finding } from '../probes/types';
import { keptEvidenceOf } from '../run/keptEvidence';
import { recordCellKind } from './recordCells';
import { buildReport } from './report';
import { entryCellNumber, timelineOf } from './timeline';

/** The version of the JSON document `cnbook export --format json` writes (docs/format.md, docs/record.schema.json). */
export const RECORD_JSON_VERSION = 1;

/**
 * The whole record as one plain JSON document, for tools that file tickets or feed dashboards: the front
 * matter and incident, every runbook cell with its outputs (JSON payloads parsed, text as text) and
 * findings, every finding with the cell it came from, the diagnosis of the record as it stands (without
 * its chart states), and the timeline with each entry's cell number now. Pure: the same file gives the same
 * document.
 */
export function recordJson(notebook: Notebook): JsonObject {
  const report = buildReport(notebook);
  const cells = notebook.cells.flatMap((cell, index) => (recordCellKind(cell.metadata) ? [] : [cellJson(cell, index)]));
  const findings = cells.flatMap((cell) =>
    (cell.findings as Finding[]).map((finding) => ({ cell: cell.number, cellId: cell.id, ...finding })),
  );
  const timeline = timelineOf(notebook.cells).map((entry) =>
    entry.kind === 'run' || entry.kind === 'journal'
      ? { ...entry, cellNumber: entryCellNumber(entry, notebook.cells) }
      : entry,
  );
  return {
    cnbookRecord: RECORD_JSON_VERSION,
    title: report.title,
    incident: isObject(notebook.frontMatter.incident) ? notebook.frontMatter.incident : null,
    frontMatter: notebook.frontMatter,
    cells,
    findings,
    diagnosis: report.diagnosis ? conclusionOf(report.diagnosis) : null,
    timeline,
  } as unknown as JsonObject;
}

function cellJson(cell: Cell, index: number) {
  const base = { number: index + 1, id: cellIdOf(cell) ?? null, kind: cell.kind, source: cell.source };
  if (cell.kind === 'markdown') return { ...base, language: 'markdown', execution: null, outputs: [], findings: [] };
  const outputs = cell.outputs ?? [];
  return {
    ...base,
    language: cell.language,
    execution: cell.execution ?? null,
    keptEvidence: keptEvidenceOf(outputs) ?? null,
    outputs: outputs.map(outputJson),
    findings: outputs.flatMap(outputFindings),
  };
}

/** An output's items: JSON payloads as values, text as text, binary as base64. */
function outputJson(output: CellOutput) {
  return {
    items: output.items.map((item) => {
      if (item.base64 !== undefined) return { mime: item.mime, base64: item.base64 };
      const text = item.text ?? '';
      if (/json$/i.test(item.mime)) {
        try {
          return { mime: item.mime, json: JSON.parse(text) as unknown };
        } catch {
          // Not JSON after all: kept as the text it is.
        }
      }
      return { mime: item.mime, text };
    }),
    metadata: output.metadata ?? null,
  };
}
