import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { shippedRunbookOrder } from '../../src/core/run/shippedRunbooks';

describe('the runbook picker', () => {
  it('lists triage, the runbook to start an incident with, first; the others by name', () => {
    // The shipped folder as it is: triage sorted last by name (it came after strong-consistency).
    const order = shippedRunbookOrder(fs.readdirSync('runbooks'));
    expect(order[0]).toBe('triage.cnbook');
    expect(order.slice(1)).toEqual([...order.slice(1)].sort());
    expect(order).not.toContain('README.md');
  });
});
