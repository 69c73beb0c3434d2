import { describe, expect, it } from 'vitest';
import type { CellOutput } from '../../src/core/format/model';
import { findingsOutput } from '../../src/core/probes/render';
import { errorOutput } from '../../src/core/sql/outputs';
import { keptEvidenceOf, outputsAfterRun } from '../../src/core/run/keptEvidence';

const evidence: CellOutput[] = [findingsOutput([])];
const taken = { outputs: evidence, execution: { success: true, endTime: Date.parse('2026-12-04T10:00:00Z') } };
const refused = { outputs: [errorOutput('Cannot run', 'connect ECONNREFUSED')], notExecuted: 'connect ECONNREFUSED' };

// Issue 18: with the sandbox stopped, Run All replaced every cell's evidence by "Cannot run: …".
describe('the outputs a cell keeps after a run', () => {
  it('keeps the evidence of the last run that executed, however many attempts fail after it', () => {
    const first = outputsAfterRun(taken, refused, new Date('2026-12-04T11:00:00Z'));
    expect(first.outputs.slice(1)).toEqual(evidence);
    expect(keptEvidenceOf(first.outputs)).toEqual({
      takenAt: '2026-12-04T10:00:00.000Z',
      failedAt: '2026-12-04T11:00:00.000Z',
      reason: 'connect ECONNREFUSED',
    });
    const again = {
      outputs: first.outputs,
      execution: { success: false, endTime: Date.parse('2026-12-04T11:00:00Z') },
    };
    const second = outputsAfterRun(again, refused, new Date('2026-12-04T12:00:00Z'));
    expect(second.outputs).toHaveLength(2);
    expect(keptEvidenceOf(second.outputs)).toMatchObject({ takenAt: '2026-12-04T10:00:00.000Z' });
    expect(second.outputs[0]?.items[0]?.text).toContain('The evidence below is taken at 2026-12-04 10:00:00 UTC');
  });

  it('is replaced by a run that executed, and by a failed one when there is nothing to keep', () => {
    const ran = { outputs: [findingsOutput([])] };
    expect(outputsAfterRun(taken, ran, new Date()).outputs).toBe(ran.outputs);
    expect(outputsAfterRun({ outputs: refused.outputs }, refused, new Date()).outputs).toBe(refused.outputs);
    expect(outputsAfterRun({}, refused, new Date()).kept).toBeUndefined();
  });
});
