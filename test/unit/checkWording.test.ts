import { describe, expect, it } from 'vitest';
import { diagnose } from '../../src/core/diagnosis';
import { expectationFindings } from '../../src/core/probes/expect';
import { withLegacyFacts } from '../../src/core/probes/render';
import type { Finding } from '../../src/core/probes/types';
import { cellSubject } from '../../src/core/run/cellSubject';
import { parseAnnotations } from '../../src/core/sql/annotations';
import type { TargetRun } from '../../src/core/sql/payload';

// The demo's totals check: `-- @expect empty` under "## Stored totals" finds 3 orders whose total is off.
const hosts = [{ connection: 'us-east', role: 'primary' }];
const now = '2026-12-04T10:00:00.000Z';
const threeRows = {
  connection: 'us-east',
  statements: [{ columns: [{ name: 'id', type: 'int8' }], rows: [['1'], ['2'], ['3']], rowCount: 3 }],
} as unknown as TargetRun;

describe('a failed -- @expect check', () => {
  it('names what was expected of what: the @check label, else the step heading, else the cell', () => {
    const cells = [
      { kind: 'markdown' as const, source: '# Triage\n\n## Stored totals' },
      { kind: 'code' as const, source: '-- @expect empty\nSELECT 1' },
    ];
    expect(cellSubject(cells, 1)).toBe('Stored totals');
    expect(cellSubject([cells[1]!], 0)).toBe('cell 1');
    const { annotations } = parseAnnotations('-- @check "stored totals equal the items"\n-- @expect empty\nSELECT 1');
    expect(annotations.check).toBe('stored totals equal the items');
    const [finding] = expectationFindings({ kind: 'empty' }, [threeRows], annotations.check!);
    expect(finding?.summary).toBe('stored totals equal the items: expected no rows, got 3');
  });

  it('is diagnosed as a failed check with a next step for a check, a broken constraint as before', () => {
    const check = withLegacyFacts({
      probe: 'sql-check',
      target: 'us-east',
      severity: 'critical',
      summary: 'Stored totals: expected no rows, got 3',
      metrics: { rows: 3 },
    } as Finding);
    const failed = diagnose({ findings: [check], hosts, now });
    expect(failed.rootCause).toBe('check failed on us-east: Stored totals: expected no rows, got 3');
    expect(failed.next?.suggestion).toMatch(/^Read the rows the check returned .* run the check again$/);
    expect(failed.next?.suggestion).not.toMatch(/constraint/);
    const orphans = withLegacyFacts({ ...check, probe: 'orphans', summary: '3 orphaned order_items' } as Finding);
    const broken = diagnose({ findings: [orphans], hosts, now });
    expect(broken.rootCause).toMatch(/^integrity violation on us-east/);
    expect(broken.next?.suggestion).toMatch(/validate the constraint/);
  });
});
