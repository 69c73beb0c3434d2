import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseNotebook, printNotebook } from '../../src/core/format';
import { newIncident } from '../../src/core/record/incident';
import { buildReport } from '../../src/core/record/report';
import { headerFields } from '../../src/core/record/reportText';

describe('the demo opens a real incident', () => {
  it('fills every field of the report head but the impact window, which needs evidence', () => {
    // What `cnbook incident new runbooks/triage.cnbook --severity sev2 --responder demo --commander demo` writes.
    const triage = parseNotebook(fs.readFileSync('runbooks/triage.cnbook', 'utf8'));
    const request = { title: 'Orders disagree across the sandbox', severity: 'sev2' as const, now: new Date() };
    const incident = newIncident(triage, { ...request, responders: ['demo'], commander: 'demo' });
    const report = buildReport(parseNotebook(printNotebook(incident)));
    const fields = Object.fromEntries(headerFields(report));
    expect(fields).toMatchObject({ Severity: 'sev2', Commander: 'demo', Responders: 'demo' });
    expect(Object.values(fields)).not.toContain(null);
  });
});
