import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FindingsInOrder } from '../../src/core/diagnosis/findingsInOrder';
import type { Finding } from '../../src/core/probes/types';

const finding = (cell: number, n: number): Finding => ({
  probe: 'sql-check',
  target: `cell ${cell} #${n}`,
  severity: 'ok',
  summary: '',
  metrics: {},
});
const findings = (cell: number, count: number) => Array.from({ length: count }, (_, n) => finding(cell, n));

describe('the findings of the cells in cell order', () => {
  it('is the cells flattened after any sequence of changes, in any order', () => {
    const cells = fc.array(fc.nat(3), { minLength: 1, maxLength: 8 });
    const changes = fc.array(fc.tuple(fc.nat(7), fc.nat(3)), { maxLength: 20 });
    fc.assert(
      fc.property(cells, changes, (counts, edits) => {
        const current = counts.map((count, cell) => findings(cell, count));
        const inOrder = new FindingsInOrder(current.map((f) => ({ findings: f })));
        for (const [at, count] of edits) {
          const cell = at % counts.length;
          current[cell] = findings(100 + cell, count);
          inOrder.set(cell, current[cell]);
          expect(inOrder.list()).toEqual(current.flat());
        }
      }),
    );
  });
});
