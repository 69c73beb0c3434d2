import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseNotebook, printNotebook, type CellOutput, type CodeCell, type Notebook } from '../../src/core/format';
import type { JsonObject } from '../../src/core/format/model';
import { unpackOutput } from '../../src/core/format/outputsPacked';
import { findingsOutput } from '../../src/core/probes/render';
import type { Finding } from '../../src/core/probes/types';
import { finding, sqlCheckOutputs, targetRun } from './format.arbitraries';

const runs = { numRuns: Number(process.env.CNBOOK_FC_RUNS ?? 300) };
/** Generating hundreds of payloads takes seconds on a busy machine. */
const slow = { timeout: 60_000 };

function cellWith(outputs: CellOutput[]): Notebook {
  return { frontMatter: { cnbook: 2 }, cells: [{ kind: 'code', language: 'cnprobe', source: 'topology', outputs }] };
}

/** The stored items of each output comment of a printed single-cell notebook, its packed form unpacked. */
function storedItems(text: string): Record<string, unknown>[][] {
  const comments = [...text.matchAll(/<!-- cnbook:output[ \n]([^]*?)-->/g)].map((match) => match[1]!);
  return comments.map((json) => (unpackOutput(JSON.parse(json) as JsonObject) as { items: JsonObject[] }).items);
}

const readBack = (nb: Notebook) => (parseNotebook(printNotebook(nb)).cells[0] as CodeCell).outputs;

describe('compact payloads (version 2)', () => {
  it('stores every findings output compact, as rows under their key names, and reads it back as it was', slow, () => {
    fc.assert(
      fc.property(fc.array(finding, { minLength: 1, maxLength: 5 }), (findings) => {
        const nb = cellWith([findingsOutput(findings)]);
        const text = printNotebook(nb);
        expect(storedItems(text)[0]![0]).toHaveProperty('compact');
        expect(readBack(nb)).toEqual(nb.cells[0]!.kind === 'code' && nb.cells[0]!.outputs);
      }),
      runs,
    );
  });

  it("stores a SQL check's evidence as rows of the result before it", slow, () => {
    fc.assert(
      fc.property(sqlCheckOutputs, (outputs) => {
        const nb = cellWith(outputs);
        const result = JSON.parse(outputs[0]!.items[0]!.text!) as { results: { connection: string }[] };
        const connections = result.results.map((run) => run.connection);
        // Evidence is taken from the run of the check's connection: two runs of one connection are ambiguous.
        fc.pre(new Set(connections).size === connections.length);
        expect(readBack(nb)).toEqual(outputs);
        const failed = JSON.parse(outputs[1]!.items[0]!.text!) as { findings: Finding[] };
        const stored = storedItems(printNotebook(nb))[1]![0]!.compact as { columns: string[]; findings: unknown[] };
        const asObject = (f: unknown) =>
          Array.isArray(f) ? Object.fromEntries(f.map((v: unknown, k) => [stored.columns[k], v])) : f;
        failed.findings.forEach((f, i) => {
          const kept = asObject(stored.findings[i]);
          // No rows stored (a truncated result shows none): nothing to refer to, and `[]` is as short.
          if (!Array.isArray(f.evidence) || f.evidence.length === 0) return;
          expect(kept).toMatchObject({ evidenceRows: f.evidence.length });
          expect(kept).not.toHaveProperty('evidence');
        });
      }),
      runs,
    );
  });

  it('stores the provenance that the runs of a cell share once, and none that follows from the run', slow, () => {
    fc.assert(
      fc.property(fc.array(targetRun, { minLength: 2, maxLength: 4 }), (results) => {
        const payload = { version: 1, results };
        const nb = cellWith([
          { items: [{ mime: 'application/vnd.cnbook.result+json', text: JSON.stringify(payload) }] },
        ]);
        expect(readBack(nb)).toEqual((nb.cells[0] as CodeCell).outputs);
        const stored = storedItems(printNotebook(nb))[0]![0]!.compact as {
          provenance: Record<string, unknown>;
          results: { provenance: Record<string, unknown> }[];
        };
        expect(stored.provenance).toMatchObject({ host: '127.0.0.1', database: 'postgres', osUser: 'oncall' });
        for (const run of stored.results) expect(run.provenance).not.toHaveProperty('host');
      }),
      runs,
    );
  });

  it('never reads a payload back from the Markdown view: editing the view changes only the Markdown', () => {
    const findings: Finding[] = [
      { probe: 'topology', target: 'db1', connection: 'db1', severity: 'ok', summary: 'primary', metrics: {} },
    ];
    const text = printNotebook(cellWith([findingsOutput(findings)])).replace('**topology** db1', '**edited**');
    const output = (parseNotebook(text).cells[0] as CodeCell).outputs![0]!;
    expect(JSON.parse(output.items[0]!.text!)).toEqual({ version: 3, findings });
    expect(output.items[1]!.text).toContain('**edited**');
  });
});
