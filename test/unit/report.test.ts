import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../src/core/defaults';
import { buildReport } from '../../src/core/record/report';
import { renderReportHtml } from '../../src/core/record/reportHtml';
import { renderReportMarkdown } from '../../src/core/record/reportMarkdown';
import { proseToHtml } from '../../src/core/record/reportProse';
import { timelineCell } from '../../src/core/record/timeline';
import { escapeMarkdownProse, escapeXml } from '../../src/core/util/escape';
import { finding, HOSTILE, ordersRecord, probeCell, run, saved, sqlCell } from './reportRecords';

describe('the report model of a record', () => {
  const report = buildReport(ordersRecord());

  it('takes the incident fields from the front matter and the window from the executions', () => {
    expect(report.title).toBe('Orders disagree with their items');
    expect(report.incident).toEqual({
      id: 'INC-4711',
      title: null,
      severity: 'SEV2',
      opened: '2026-11-25T09:45:00.000Z',
      responders: ['alice', 'bob'],
      commander: 'carol',
    });
    expect(report.ran).toBe(true);
    expect(report.window).toEqual({
      start: '2026-11-25T10:01:00.000Z',
      end: '2026-11-25T10:06:00.001Z',
      durationMs: 300_001,
    });
  });

  it('puts on the map the connections of the provenance and of per-server findings, in role order', () => {
    expect(report.hosts).toEqual([
      { connection: 'db-primary', role: 'primary' },
      { connection: 'db-replica-1', role: 'replicas' },
    ]);
    // The unknown finding names no connection (its target is a line of the cell): not a host.
    expect(report.hosts.map((h) => h.connection)).not.toContain('line 2');
  });

  it('re-derives the diagnosis from the findings in the file, judged at the last execution', () => {
    expect(report.diagnosis?.consistencyType).toBe('strong');
    expect(report.diagnosis?.diagnosedAt).toBe(report.window?.end);
    // Both problems of the record: the broken totals first, the paused replica after.
    expect(report.problems).toHaveLength(2);
    expect(report.problems[0]).toMatchObject({ type: 'strong', severity: 'critical' });
    expect(report.problems[0]?.rootCause).toMatch(/check failed on db-primary/);
    expect(report.problems[1]).toMatchObject({ type: 'eventual' });
    expect(report.maps.map((m) => m.chart.id)).toEqual(['overall', 'eventual', 'strong']);
  });

  it('lists each cell with its status, provenance and first rows', () => {
    expect(report.cells.map((c) => [c.number, c.language, c.status, c.step])).toEqual([
      [3, 'cnprobe', 'ok', '0. Is replication healthy?'],
      [5, 'sql', 'ok', '1. Stored totals'],
      [7, 'sql', 'ok', '2. Newest orders everywhere'],
      [8, 'sql', 'error', '2. Newest orders everywhere'],
      [9, 'sql', 'not-run', '2. Newest orders everywhere'],
    ]);
    const newest = report.cells[2];
    expect(newest?.runs.map((r) => [r.connection, r.role, r.provenance.inRecovery])).toEqual([
      ['db-primary', 'primary', false],
      ['db-replica-1', 'replicas', true],
    ]);
    expect(newest?.comparison?.agree).toBe(false);
    expect(report.cells[1]?.runs[0]?.result).toMatchObject({
      columns: ['id', 'total', 'created_at'],
      rows: [
        ['17', '10.50', '2026-11-25 06:10:00+00'],
        ['256', null, '2026-11-25 08:02:30.25+00'],
      ],
      rowCount: 2,
      rowsNotShown: 0,
    });
    expect(report.cells[3]?.error).toBe("Cell error: unknown role 'nowhere'");
  });

  it('orders the evidence worst first, and names the cell of each finding', () => {
    expect(report.evidence.map((f) => `${f.severity} ${f.probe} ${f.cell}`)).toEqual([
      'critical sql-check 5',
      'warning replication-lag 3',
      'unknown replication-lag 3',
      'ok topology 3',
    ]);
  });

  it('makes action items of the escalation that is overdue, the next step, the unknown finding and the failed cell', () => {
    expect(report.actions.map((a) => [a.kind, a.cell])).toEqual([
      ['escalate', null],
      ['next-step', 5],
      ['next-step', 3],
      ['rerun-unknown', 3],
      ['fix-cell', 8],
    ]);
    // Opened 09:45, last execution 10:06: 21 minutes, past the 10 minutes of strong consistency.
    expect(report.actions[0]?.text).toMatch(/10 min limit and was 21 min old/);
    expect(report.actions[3]?.text).toMatch(/replication-lag on line 2 .*permission denied/);
  });

  it('has a timeline: opening, every execution with who, where and the findings, then the diagnosis', () => {
    expect(report.timeline.map((t) => [t.time.slice(11, 16), t.who, t.cell, t.connections, t.severities])).toEqual([
      ['09:45', 'carol', null, [], {}],
      ['10:01', null, 3, ['db-primary', 'db-replica-1'], { ok: 1, warning: 1, unknown: 1 }],
      ['10:03', 'alice', 5, ['db-primary'], { critical: 1 }],
      ['10:05', 'alice', 7, ['db-primary', 'db-replica-1'], {}],
      ['10:06', null, 8, [], {}],
      ['10:06', null, null, [], { critical: 1 }],
    ]);
    expect(report.timeline[report.timeline.length - 1]?.what).toMatch(/^Diagnosis: Strong consistency/);
  });

  it("reads the record's own timeline when it has one: runs, notes and diagnosis changes, in time order", () => {
    const notebook = ordersRecord();
    notebook.cells.push(
      timelineCell(
        [
          {
            kind: 'run',
            at: '2026-11-25T10:01:00.000Z',
            who: 'alice',
            cell: 2,
            label: 'topology on=all',
            language: 'cnprobe',
            connections: ['db-primary', 'db-replica-1'],
            outcome: 'ok',
            findings: { warning: 1 },
          },
          {
            kind: 'diagnosis',
            at: '2026-11-25T10:01:00.000Z',
            who: 'alice',
            consistencyType: 'eventual',
            severity: 'warning',
            rootCause: 'replay paused on db-replica-1',
          },
          { kind: 'note', at: '2026-11-25T10:02:30.000Z', who: 'bob', text: `paged the DBA ${HOSTILE[0]}` },
        ],
        notebook.cells,
      ),
    );
    const r = buildReport(saved(notebook));
    expect(r.timeline.map((t) => [t.time.slice(11, 19), t.who, t.cell, t.what])).toEqual([
      ['09:45:00', 'carol', null, 'Incident opened'],
      ['10:01:00', 'alice', 3, 'cnprobe cell 3: topology on=all (ran)'],
      ['10:01:00', 'alice', null, 'Diagnosis: 🟡 Eventual consistency: replay paused on db-replica-1'],
      ['10:02:30', 'bob', null, `Note: paged the DBA ${HOSTILE[0]}`],
    ]);
    // The timeline cell is the record's own: drawn from its entries, not repeated in the runbook appendix.
    expect(r.runbookText.some((t) => t.includes('## Timeline'))).toBe(false);
    expect(renderReportHtml(r)).toContain('Note: paged the DBA &lt;script&gt;window.pwned=1&lt;/script&gt;');
  });

  it('bounds the rows shown of a long result, keeping the count and hash', () => {
    const rows = Array.from({ length: 40 }, (_, i) => [String(i)]);
    const notebook = saved({
      frontMatter: { cnbook: 1 },
      cells: [sqlCell('SELECT g', [run('db', 'primary', '2026-11-25T10:00:00.000Z', ['g'], rows)], 0)],
    });
    const result = buildReport(notebook).cells[0]?.runs[0]?.result;
    expect(result?.rows).toHaveLength(DEFAULT_LIMITS.reportRowsShown);
    expect(result?.rowsNotShown).toBe(40 - DEFAULT_LIMITS.reportRowsShown);
    expect(renderReportMarkdown(buildReport(notebook))).toContain(
      `*30 more rows not shown; sha256 of all rows sha256:`,
    );
  });

  it('exports a runbook that never ran: no diagnosis, every cell not run, the runbook text kept', () => {
    const never = saved({
      frontMatter: { cnbook: 1, title: 'Fresh runbook', incident: { id: null, opened: null } },
      cells: [
        { kind: 'markdown', source: '# Fresh\n\nRun this first.' },
        { kind: 'code', language: 'sql', source: 'SELECT 1' },
      ],
    });
    const r = buildReport(never);
    expect([r.ran, r.window, r.diagnosis, r.maps, r.actions, r.timeline]).toEqual([false, null, null, [], [], []]);
    expect(r.incident).toMatchObject({ id: null, opened: null, responders: [] });
    const md = renderReportMarkdown(r);
    expect(md).toContain('This record has not been run');
    expect(md).toContain('```sql\nSELECT 1\n```');
    expect(md).toContain('### Fresh\n\nRun this first.');
    expect(renderReportHtml(r)).toContain('<h3>Fresh</h3>');
  });

  it('reports a record with no inconsistency measured as such, its next step still an action', () => {
    const healthy = saved({
      frontMatter: { cnbook: 1 },
      cells: [probeCell('topology on=all', [finding('topology', 'p', 'ok', 'primary', { inRecovery: false }, 'p')], 0)],
    });
    const r = buildReport(healthy);
    expect(r.diagnosis?.consistencyType).toBe('none');
    expect(r.problems).toEqual([]);
    expect(r.actions.map((a) => a.kind)).toEqual(['next-step']);
    expect(renderReportHtml(r)).toContain('No inconsistency measured');
  });
});

describe('the Markdown report', () => {
  const md = renderReportMarkdown(buildReport(ordersRecord()), {
    svgFiles: { overall: 'x.report.overall.svg', strong: 'x.report.strong.svg' },
  });

  it("leaves the impact window out when the evidence has no times, rather than show the run's own span", () => {
    // A totals check that returns only ids: nothing in the evidence says when the data went wrong.
    const check = sqlCell(
      '-- @expect empty\nSELECT id FROM orders WHERE broken',
      [run('db-primary', 'primary', '2026-11-25T10:03:00.000Z', ['id'], [['17']])],
      3,
      [finding('sql-check', 'db-primary', 'critical', 'cell 1: expected no rows, got 1')],
    );
    const report = buildReport(saved({ frontMatter: { cnbook: 2, title: 'Untimed' }, cells: [check] }));
    expect(report.impact).toBeNull();
    expect(report.window).not.toBeNull();
    expect(renderReportMarkdown(report)).not.toContain('Impact window');
  });

  it('has the sections of a postmortem, in order', () => {
    const headings = md.split('\n').filter((l) => /^## /.test(l));
    expect(headings).toEqual([
      '## Summary',
      '## Diagnosis',
      '## Investigation map',
      '## Action items',
      '## Timeline',
      '## Evidence',
      '## Queries and probes',
      '## Appendix: the runbook',
    ]);
    expect(md).toMatch(/^# Orders disagree with their items\n/);
    expect(md).toContain('| Incident | INC-4711 |');
    // From the broken orders' created_at, not the runs' own 10:01 → 10:06.
    expect(md).toContain('| Impact window | 2026-11-25 06:10:00 UTC → 2026-11-25 08:02:30 UTC (112 min 30 s) |');
  });

  it('links the charts as SVG files, or draws them as mermaid when there are none', () => {
    expect(md).toContain('![Investigation flow](x.report.overall.svg)');
    expect(md).toContain('![Strong consistency debugging](x.report.strong.svg)');
    expect(renderReportMarkdown(buildReport(ordersRecord()))).toMatch(/```mermaid\nflowchart TD\n/);
  });

  it('shows provenance, the first rows with NULL as NULL, and action items as a checklist', () => {
    expect(md).toContain(
      '| db-replica-1 | replicas | 10.0.0.5:5432/shop | 15.8 | standby | 0/3000148 | 2026-11-25 10:05:00 UTC | 25 ms | 2 | oncall (alice) | read-only |',
    );
    expect(md).toContain('| 256 | *NULL* |');
    expect(md).toMatch(/- \[ \] Escalate \(no contact configured: cnbook.escalation\)/);
    expect(md).toContain(
      '- [ ] Cell 8 failed (Cell error: unknown role &#39;nowhere&#39;): fix it and run it again (cell 8)',
    );
  });

  it('keeps a fence that a backtick run in the source cannot close', () => {
    const notebook = saved({
      frontMatter: { cnbook: 1 },
      cells: [{ kind: 'code', language: 'sql', source: "SELECT '```' AS fence" }],
    });
    expect(renderReportMarkdown(buildReport(notebook))).toContain("````sql\nSELECT '```' AS fence\n````");
  });
});

describe('hostile values in a record', () => {
  const hostile = HOSTILE.join(' ');
  const notebook = saved({
    frontMatter: {
      cnbook: 1,
      title: hostile,
      roles: ['primary'],
      incident: { id: hostile, severity: hostile, responders: [hostile], commander: hostile },
    },
    cells: [
      { kind: 'markdown', source: `# ${hostile}\n\n${hostile}\n\n- ${hostile}\n\n\`\`\`\n${hostile}\n\`\`\`` },
      sqlCell(
        `SELECT '${hostile}' AS "${hostile}"`,
        [
          run(hostile, hostile, '2026-11-25T10:00:00.000Z', [hostile, 'plain'], [[hostile, null]], {
            database: hostile,
          }),
        ],
        0,
        [finding('sql-check', hostile, 'critical', hostile)],
      ),
      probeCell(
        'topology on=all',
        [finding('topology', hostile, 'unknown', hostile, { inRecovery: true }, hostile)],
        1,
      ),
    ],
  });
  const report = buildReport(notebook);

  it('never reaches the HTML as markup', () => {
    const html = renderReportHtml(report);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<img/i);
    expect(html).not.toMatch(/<svg[^>]*onload/i);
    expect(html).not.toMatch(/<[a-z][^>]*\son[a-z]+=/i);
    expect(html).not.toContain(']]>');
    expect(html).not.toContain('-->');
    expect(html).toContain('&lt;script&gt;window.pwned=1&lt;/script&gt;');
    // And should anything slip through, the page tells the browser to run no script and fetch nothing.
    expect(html).toContain(
      `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    );
    // The hostile connection is a host of the map, and its name is text in the SVG too.
    expect(report.hosts.map((h) => h.connection)).toContain(hostile);
  });

  it('never reaches the Markdown as HTML outside code blocks (whose text no renderer reads as markup)', () => {
    const md = renderReportMarkdown(report, { svgFiles: { overall: 'r.overall.svg', strong: 'r.strong.svg' } });
    const fences = [...md.matchAll(/^(`{3,})[a-z]*\n[\s\S]*?\n\1$/gm)];
    expect(fences.map((f) => f[0].split('\n')[1])).toEqual([
      `SELECT '${hostile}' AS "${hostile}"`,
      'topology on=all',
      escapeMarkdownProse(hostile), // the author's own code block, in the appendix
    ]);
    const outside = fences.reduce((text, f) => text.replace(f[0], ''), md);
    // No tag, comment or processing instruction can open (so a stray `-->` in the prose closes nothing).
    expect(outside).not.toMatch(/<[a-z!/?]/i);
    expect(outside).toContain('&lt;script&gt;');
  });

  it('cannot break the XML of a standalone SVG', () => {
    expect(escapeXml('a\u0000b\u001bc\ud800d')).toBe('a\ufffdb\ufffdc\ufffdd');
    expect(escapeXml(`${HOSTILE[2]}`)).toBe('&quot;&gt;&lt;svg onload=alert(1)&gt;');
  });

  it("keeps an author's Markdown readable but without raw HTML", () => {
    expect(escapeMarkdownProse('# Title\n\n**bold** <b>x</b>')).toBe('# Title\n\n**bold** &lt;b>x&lt;/b>');
    expect(proseToHtml('## Step\n\nUse `a < b` and **care**.\n\n- one\n- <i>two</i>')).toBe(
      '<h4>Step</h4>\n<p>Use <code>a &lt; b</code> and <strong>care</strong>.</p>\n<ul><li>one</li><li>&lt;i&gt;two&lt;/i&gt;</li></ul>',
    );
  });
});
