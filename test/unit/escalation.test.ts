import { describe, expect, it } from 'vitest';
import { escalationAt, escalationLine } from '../../src/core/diagnosis/escalation';

const opened = '2026-12-01T10:00:00.000Z';
const at = (minutes: number) => new Date(Date.parse(opened) + minutes * 60_000).toISOString();

describe('escalation, counted from incident.opened', () => {
  it.each([
    ['strong', 4, false, 'strong consistency: 6.0 min left to escalate (limit 10 min)'],
    ['strong', 12.5, true, 'strong consistency: overdue by 2.5 min, escalate to @db'],
    ['eventual', 29.5, false, 'eventual consistency: 30 s left to escalate (limit 30 min)'],
    ['session', 15, true, 'session consistency: overdue by 0 s, escalate to @db'],
  ] as const)('%s after %d min: due %s', (type, minutes, due, line) => {
    const e = escalationAt(type, opened, at(minutes), { [type]: '@db' });
    expect(e?.due).toBe(due);
    expect(escalationLine(e!)).toBe(line);
  });

  it('says what to set when the opening time is missing or unreadable, and who is missing', () => {
    expect(escalationLine(escalationAt('causal', undefined, at(1), {})!)).toBe(
      'causal consistency: escalate within 20 min (set incident.opened)',
    );
    expect(escalationLine(escalationAt('causal', 'soon', at(1), {})!)).toMatch(/set incident.opened/);
    expect(escalationLine(escalationAt('causal', opened, at(25), {})!)).toMatch(/no contact set: cnbook.escalation/);
  });

  it('has no clock before anything is found', () => {
    expect(escalationAt('none', opened, at(100), {})).toBeNull();
    expect(escalationAt('unknown', opened, at(100), {})).toBeNull();
  });
});
