/**
 * The diff bench's verdicts (bench/diff/report.ts, peer.ts): "exact" in its table must mean the tool's counts
 * and keys match the differences the bench injected. These stand for a bench run reading pg_comparator's
 * real output (captured from 2.3.2 with --stats=txt on PostgreSQL 15) and the engine's counts past its kept keys.
 */
import { describe, expect, it } from 'vitest';
import type { Truth } from '../../bench/diff/data';
import { parsePeerReport } from '../../bench/diff/peer';
import { exactness } from '../../bench/diff/report';

const PEER_OUTPUT = `UPDATE 3
INSERT 7
DELETE 2000
UPDATE 4
UPDATE 5
      revision: 1593
       testing: pgsql/pgsql
    table size: 1000
   diffs found: 5
`;

const truth: Truth = {
  missingInTarget: new Set(['7']),
  missingInSource: new Set(['2000']),
  changed: new Set(['3', '4', '5']),
};

describe('the diff bench verdicts', () => {
  it("reads pg_comparator's report: INSERT is missing in the target, DELETE extra there, UPDATE changed", () => {
    const found = { ...parsePeerReport(PEER_OUTPUT), bytes: 0, queries: 0 };
    expect(found).toMatchObject({ missingInTarget: ['7'], missingInSource: ['2000'], changed: ['3', '4', '5'] });
    expect(exactness(found, truth)).toBe('exact');
  });

  it('calls counts wrong when they differ from the injected ones, even with every kept key right', () => {
    // The engine's failure in issue 19: a changed row counted once as missing on each side.
    const found = {
      missingInTarget: ['7'],
      missingInSource: ['2000'],
      changed: ['3'],
      bytes: 0,
      queries: 0,
      counts: { missingInTarget: 2, missingInSource: 2, changed: 2 },
    };
    expect(exactness(found, truth)).toBe('**wrong** 2/2/2 of 1/1/3');
    expect(exactness({ ...found, counts: { missingInTarget: 1, missingInSource: 1, changed: 3 } }, truth)).toBe(
      'exact',
    );
  });

  it('calls a report with a key of the wrong class wrong, though its counts match', () => {
    const found = { missingInTarget: ['3'], missingInSource: ['2000'], changed: ['7', '4', '5'], bytes: 0, queries: 0 };
    expect(exactness(found, truth)).toBe('**wrong** 1/1/3 of 1/1/3, wrong keys');
  });

  it('calls counts wrong when the engine itself says they may be off, though they match', () => {
    // A diff across servers that order the key differently, keys not all kept: countsExact false.
    const found = { missingInTarget: ['7'], missingInSource: ['2000'], changed: ['3'], bytes: 0, queries: 0 };
    const counts = { missingInTarget: 1, missingInSource: 1, changed: 3 };
    expect(exactness({ ...found, counts, countsExact: false }, truth)).toBe(
      '**wrong** 1/1/3 of 1/1/3, reported as not exact',
    );
    expect(exactness({ ...found, counts, countsExact: true }, truth)).toBe('exact');
  });
});
