import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseNotebook } from '../../src/core/format';
import { RESULT_MIME, type CodeCell } from '../../src/core/format/model';
import { timelineOf } from '../../src/core/record/timeline';
import { buildCli, CLI as cli, REPO_ROOT as root, runCli } from '../helpers/builtCli';
import { startCluster, PgCluster, waitForReplay } from '../helpers/pgCluster';

let cluster: PgCluster;
let dir: string;
let connections: string;

beforeAll(async () => {
  buildCli();
  cluster = await startCluster({ replicas: 1 });
  await cluster.primary.query(
    'CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 50) g;',
  );
  await waitForReplay(cluster);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnbook-cli-'));
  connections = write(
    'connections.json',
    JSON.stringify({
      connections: {
        p: { url: `postgres://postgres@127.0.0.1:${cluster.primary.port}/postgres?sslmode=disable` },
        r: {
          host: '127.0.0.1',
          port: cluster.replicas[0]!.port,
          user: 'postgres',
          database: 'postgres',
          sslmode: 'disable',
        },
        down: { host: '127.0.0.1', port: 1, user: 'postgres', database: 'postgres', sslmode: 'disable' },
      },
      profiles: { test: { primary: 'p', replicas: ['r'] }, broken: { primary: 'down', replicas: ['r'] } },
    }),
  );
});
afterAll(async () => {
  await cluster?.destroy();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

function runbook(name: string, ...cells: string[]): string {
  return write(
    name,
    `---\ncnbook: 1\ntitle: ${name}\n---\n# ${name}\n${cells.map((c) => `\n\`\`\`sql\n${c}\n\`\`\`\n`).join('')}`,
  );
}

function cnbook(args: string[]) {
  return runCli(args, { cwd: dir, env: { PGPASSWORD: '' } });
}

/** `cnbook run FILE` on the test cluster's profile, with more arguments after. */
function runOnTest(file: string, ...more: string[]) {
  return cnbook(['run', file, '--connections', connections, '--profile', 'test', ...more]);
}

describe('cnbook run', () => {
  it('runs the minimal runbook of the issue and writes the filled notebook to --out only', async () => {
    await cluster.primary.query('CREATE TABLE IF NOT EXISTS orders (id int); INSERT INTO orders VALUES (1), (2)');
    const file = write(
      'minimal.cnbook',
      '---\ncnbook: 1\ntitle: Orders vs items\n---\n# Step 1\n```sql\n-- @on primary\nSELECT count(*) FROM orders;\n```\n',
    );
    const before = fs.readFileSync(file, 'utf8');
    const r = runOnTest(file, '--out', 'filled.cnbook', '--json');
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({
      runbook: file,
      profile: 'test',
      findings: [],
      diagnosis: { consistencyType: 'unknown' },
      cells: [{ index: 1, language: 'sql', status: 'ok' }],
    });
    expect(Object.keys(summary)).toEqual([
      'runbook',
      'profile',
      'startedAt',
      'finishedAt',
      'cells',
      'findings',
      'diagnosis',
    ]);
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
    const filled = parseNotebook(fs.readFileSync(path.join(dir, 'filled.cnbook'), 'utf8'));
    const cell = filled.cells[1] as CodeCell;
    const payload = JSON.parse(cell.outputs?.[0]?.items.find((i) => i.mime === RESULT_MIME)?.text ?? '{}');
    expect(payload.results[0].statements[0].rows).toEqual([['2']]);
    expect(cell.execution?.success).toBe(true);
    expect(fs.readFileSync(path.join(dir, 'filled.cnbook'), 'utf8')).toContain('| 2 |');
  });

  it('stops at the first failed cell, marks the rest skipped, exits 3 and still writes what ran', () => {
    const file = runbook('fails.cnbook', 'SELECT 1', 'SELECT * FROM no_such_table', 'SELECT 3');
    const r = runOnTest(file, '--out', 'fails.out.cnbook', '--json');
    expect(r.code).toBe(3);
    const summary = JSON.parse(r.stdout);
    expect(summary.cells.map((c: { status: string }) => c.status)).toEqual(['ok', 'error', 'skipped']);
    expect(summary.cells[1].error).toMatch(/relation "no_such_table" does not exist \[SQLSTATE 42P01\]/);
    expect(fs.readFileSync(path.join(dir, 'fails.out.cnbook'), 'utf8')).toContain('42P01');
    // The timeline records the two cells that ran, where and how, and not the skipped one.
    const record = parseNotebook(fs.readFileSync(path.join(dir, 'fails.out.cnbook'), 'utf8'));
    const timeline = timelineOf(record.cells);
    expect(timeline.map((e) => e.kind === 'run' && [e.cell, e.outcome, e.connections])).toEqual([
      [1, 'ok', ['p']],
      [2, 'error', ['p']],
    ]);
    expect(record.cells.at(-1)?.source).toContain(
      '| ran cell 3 (sql): SELECT \\* FROM no\\_such\\_table | p | failed |',
    );
  });

  it('goes on past a cell whose server is down: that is a fact about the server, not the runbook', () => {
    const file = runbook('down.cnbook', '-- @on primary\nSELECT 1', '-- @on replicas\nSELECT 2');
    const r = cnbook(['run', file, '--connections', connections, '--profile', 'broken', '--json']);
    expect(r.code).toBe(3);
    const summary = JSON.parse(r.stdout);
    expect(summary.cells.map((c: { status: string }) => c.status)).toEqual(['error', 'ok']);
    expect(summary.cells[0].error).toMatch(/down: could not connect/);
  });

  it('fails before anything runs when a cell needs a parameter, naming the file, the cell and --param', () => {
    const file = write(
      'params.cnbook',
      '---\ncnbook: 1\ntitle: params\nparams:\n  tbl: null\n  label: none\n---\n# p\n\n```sql\nSELECT 1\n```\n\n```sql\nSELECT :\'label\' AS label, count(*) AS n FROM :"tbl"\n```\n',
    );
    const run = (...extra: string[]) =>
      cnbook(['run', file, '--connections', connections, '--profile', 'test', '--out', 'params.out.cnbook', ...extra]);
    const refused = run();
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain(`${file}:15: cell 3 uses :tbl, which has no default; give --param tbl=VALUE`);
    expect(refused.stderr, 'no cell ran').not.toMatch(/cell 1 \(sql\)/);
    expect(fs.existsSync(path.join(dir, 'params.out.cnbook'))).toBe(false);
    const ran = run('--param', 'tbl=public.t', '--param', "label=it's; DROP TABLE t", '--json');
    expect(ran.code, ran.stderr).toBe(0);
    const record = fs.readFileSync(path.join(dir, 'params.out.cnbook'), 'utf8');
    expect(record).toContain("it's; DROP TABLE t");
    expect(record).toContain('| 50 |');
  });

  it('says why a record cannot be written, exits 3, and still prints what the run found', () => {
    const file = runbook('nofolder.cnbook', '-- @expect empty\nSELECT 1 AS one');
    const r = runOnTest(file, '--out', 'no/such/r.cnbook');
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('cannot write the record to no/such/r.cnbook: the folder no/such does not exist');
    expect(r.stdout).toMatch(/diagnosis: strong/);
    expect(fs.existsSync(path.join(dir, 'no'))).toBe(false);
  });

  it('refuses writes without --allow-writes and names what to do', () => {
    const file = runbook('writes.cnbook', "-- @write\nINSERT INTO t VALUES (1000, 'x')");
    const r = runOnTest(file);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/does not allow writes/);
  });

  it('explains a connection that cannot be made, with its name and address', () => {
    const file = runbook('down.cnbook', 'SELECT 1');
    const r = cnbook(['run', file, '--connections', connections, '--profile', 'broken']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/could not connect to down \(postgres@127\.0\.0\.1:1\/postgres\): connection refused/);
  });

  it('explains bad input: unknown profile, missing file, malformed runbook, unknown option', () => {
    const file = runbook('ok.cnbook', 'SELECT 1');
    expect(cnbook(['run', file, '--connections', connections, '--profile', 'tset']).stderr).toMatch(
      /profile "tset": not defined \(did you mean 'test'\?\)/,
    );
    expect(cnbook(['run', 'nope.cnbook', '--connections', connections]).stderr).toMatch(
      /cannot read nope.cnbook: ENOENT/,
    );
    const bad = write('bad.cnbook', '---\ncnbook: 1\n---\n```sql\nSELECT 1\n');
    const r = runOnTest(bad);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/bad\.cnbook:4: /);
    expect(cnbook(['run', file, '--conections', connections]).stderr).toMatch(
      /unknown option --conections \(did you mean '--connections'\?\)/,
    );
  });

  // Ctrl-C, a service manager's or kill's SIGTERM and a closed terminal's SIGHUP end a run the same way.
  it.each(['SIGINT', 'SIGTERM', 'SIGHUP'] as const)(
    'on %s cancels the running statement on the server, exits 3 and writes what ran',
    async (signal) => {
      const file = runbook(`sleep-${signal}.cnbook`, 'SELECT 1 AS one', 'SELECT pg_sleep(30)', 'SELECT 3');
      const out = `sleep-${signal}.out.cnbook`;
      const child = spawn(
        process.execPath,
        [cli, 'run', file, '--connections', connections, '--profile', 'test', '--out', out, '--json'],
        { cwd: dir },
      );
      let stdout = '';
      child.stdout.on('data', (d) => (stdout += d));
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
      const pid = await backendRunning('pg_sleep(30)');
      expect(pid).toBeDefined();
      const interrupted = Date.now();
      child.kill(signal);
      const code = await exited;
      expect(Date.now() - interrupted).toBeLessThan(5000);
      expect(code).toBe(3);
      expect(JSON.parse(stdout).cells.map((c: { status: string }) => c.status)).toEqual(['ok', 'cancelled', 'skipped']);
      expect(await cluster.primary.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid])).toEqual([]);
      const record = parseNotebook(fs.readFileSync(path.join(dir, out), 'utf8'));
      expect(timelineOf(record.cells).map((e) => e.kind === 'run' && [e.cell, e.outcome])).toEqual([
        [1, 'ok'],
        [2, 'cancelled'],
      ]);
      const [first, sleep] = record.cells.filter((c): c is CodeCell => c.kind === 'code');
      const payload = JSON.parse(first?.outputs?.[0]?.items.find((i) => i.mime === RESULT_MIME)?.text ?? '{}');
      expect(payload.results[0].statements[0].rows).toEqual([['1']]);
      expect(sleep?.execution?.success).toBe(false);
      expect(JSON.stringify(sleep?.outputs)).toContain('57014');
    },
  );
});

/** The pid of the cnbook backend running a statement containing `text`, waited for up to 10 s. */
async function backendRunning(text: string): Promise<number | undefined> {
  for (let i = 0; i < 100; i++) {
    const rows = await cluster.primary.query(
      "SELECT pid FROM pg_stat_activity WHERE application_name = 'cnbook' AND query LIKE '%' || $1 || '%'",
      [text],
    );
    if (rows[0]?.pid !== undefined) return rows[0].pid as number;
    await new Promise((r) => setTimeout(r, 100));
  }
  return undefined;
}

describe('findings in cnbook run', () => {
  it('returns probe findings and @expect checks in --json, and exits 2 on a critical one', () => {
    const file = write(
      'checks.cnbook',
      [
        '---',
        'cnbook: 1',
        'roles: [primary, replicas]',
        '---',
        '```cnprobe',
        'replication-lag on=replicas',
        'topology on=all',
        '```',
        '',
        '```sql',
        '-- @expect empty',
        'SELECT id FROM t WHERE id <= 2 ORDER BY id',
        '```',
        '',
      ].join('\n'),
    );
    const r = runOnTest(file, '--json', '--out', 'checks.out.cnbook');
    expect(r.code).toBe(2);
    const summary = JSON.parse(r.stdout);
    expect(summary.cells.map((c: { status: string }) => c.status)).toEqual(['ok', 'ok']);
    const bySource = summary.findings.map(
      (f: { probe: string; target: string; severity: string }) => `${f.probe} ${f.target} ${f.severity}`,
    );
    expect(bySource).toEqual(['replication-lag r ok', 'topology p ok', 'topology r ok', 'sql-check p critical']);
    expect(summary.findings[3].evidence).toEqual([{ id: '1' }, { id: '2' }]);
    const record = fs.readFileSync(path.join(dir, 'checks.out.cnbook'), 'utf8');
    expect(record).toContain('- 🔴 **sql-check** p: cell 2: expected no rows, got 2');
    const mimes = parseNotebook(record).cells.flatMap((c) =>
      c.kind === 'code' ? (c.outputs ?? []).flatMap((o) => o.items.map((i) => i.mime)) : [],
    );
    expect(mimes).toContain('application/vnd.cnbook.findings+json');
    expect(summary.diagnosis).toMatchObject({
      consistencyType: 'strong',
      severity: 'critical',
      rootCause: expect.stringMatching(/^check failed on p: cell 2: expected no rows, got 2$/),
      next: { chart: 'strong', node: 'Recovery', probe: 'sql-check', cell: 1 },
    });
    expect(summary.diagnosis.path.slice(-1)).toEqual(['strong:Integrity']);
    // The record carries the diagnosis in words, in metadata, and as a mermaid chart a Markdown viewer can draw.
    const diagnosisCell = parseNotebook(record).cells.find((c) => c.metadata?.cnbook === 'diagnosis');
    expect(diagnosisCell?.source).toMatch(/## Diagnosis\n\n🔴 \*\*Strong consistency\*\*: check failed on p/);
    expect(diagnosisCell?.source).toMatch(/```mermaid\nflowchart TD\n/);
    expect(diagnosisCell?.source).toMatch(/\*\*Next:\*\* .* \(cell 2 of the runbook\)/);
    expect(diagnosisCell?.source).toMatch(/class [A-Za-z,]*Integrity[A-Za-z,]* cn-critical/);
    expect((diagnosisCell?.metadata?.diagnosis as { consistencyType: string }).consistencyType).toBe('strong');
  });

  it('exits 1 when the worst finding is a warning', () => {
    const file = write('warn.cnbook', '---\ncnbook: 1\n---\n```sql\n-- @expect rows = 0\nSELECT 1\n```\n');
    // A failed @expect is critical; a probe warning is what gives 1.
    expect(runOnTest(file).code).toBe(2);
    const locks = write(
      'locks.cnbook',
      '---\ncnbook: 1\n---\n```cnprobe\nreplication-slots warn=0 critical=100000\n```\n',
    );
    expect(runOnTest(locks).code).toBe(0);
  });
});

describe('cnbook check', () => {
  it('passes good runbooks and gives line-numbered messages for bad ones', () => {
    expect(cnbook(['check', path.join(root, 'runbooks', 'orders-vs-items.cnbook')]).code).toBe(0);
    const file = write(
      'typo.cnbook',
      '---\ncnbook: 1\nroles: [primary, replicas]\n---\n# x\n\n```sql\nSELECT 1;\n-- @wirte\n```\n\n```sql\n-- @on replica\nSELECT 2\n```\n',
    );
    const r = cnbook(['check', file]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`${file}:9:4: unknown annotation '@wirte' (did you mean 'write'?)`);
    expect(r.stderr).toContain(
      `${file}:13: 'replica' is not a role of this runbook (roles: primary, replicas) (did you mean 'replicas'?)`,
    );
  });

  it('flags a password written into a runbook', () => {
    const file = write(
      'secret.cnbook',
      '---\ncnbook: 1\n---\nConnect with postgres://app:hunter2@db/shop\n\n```sql\nSELECT 1\n```\n',
    );
    const r = cnbook(['check', file]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/looks like a password/);
    expect(r.stderr).not.toMatch(/hunter2/);
  });

  it('checks cnprobe directives with line, column and a suggestion', () => {
    const file = write(
      'probes.cnbook',
      '---\ncnbook: 1\n---\n# x\n\n```cnprobe\nreplication-lag on=replicas\nreplication-lga on=replicas\nlocks long-transactoin=5m\n```\n',
    );
    const r = cnbook(['check', file]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`${file}:8:1: unknown probe 'replication-lga' (did you mean 'replication-lag'?)`);
    expect(r.stderr).toContain(`${file}:9:7: locks has no key 'long-transactoin' (did you mean 'long-transaction'?)`);
  });

  it('checks roles against a profile when given connections', () => {
    const file = write('roles.cnbook', '---\ncnbook: 1\nroles: [primary, source]\n---\n```sql\nSELECT 1\n```\n');
    const r = cnbook(['check', file, '--connections', connections, '--profile', 'test']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/has no connection for role "source"/);
  });

  it('logs in to warn of a superuser or a role that can run server programs, never failing the check', async () => {
    await cluster.primary.query(`DROP ROLE IF EXISTS oncall; DROP ROLE IF EXISTS scripter;
      CREATE ROLE oncall LOGIN IN ROLE pg_monitor, pg_read_all_data;
      CREATE ROLE scripter LOGIN IN ROLE pg_execute_server_program;`);
    await waitForReplay(cluster);
    const url = (user: string) => `postgres://${user}@127.0.0.1:${cluster.primary.port}/postgres?sslmode=disable`;
    const roles = write(
      'roles.json',
      JSON.stringify({
        connections: { su: { url: url('postgres') }, least: { url: url('oncall') }, prog: { url: url('scripter') } },
        profiles: { su: { primary: 'su' }, least: { primary: 'least' }, prog: { primary: 'prog' } },
      }),
    );
    const file = write('privileges.cnbook', '---\ncnbook: 1\nroles: [primary]\n---\n```sql\nSELECT 1\n```\n');
    const check = (profile: string, ...more: string[]) =>
      cnbook(['check', file, '--connections', roles, '--profile', profile, ...more]);
    const su = check('su');
    expect(su.code).toBe(0);
    expect(su.stderr).toMatch(/warning: su logs in as superuser postgres/);
    expect(check('prog').stderr).toMatch(/warning: prog logs in as scripter, a member of pg_execute_server_program/);
    expect(check('least').stderr).toBe('');
    expect(check('su', '--offline').stderr).toBe('');
  });
});

describe('a re-run that cannot execute', () => {
  // Issue 18: with the sandbox stopped, Run All on a saved incident replaced each cell's findings by
  // "Cannot run: …". Here the primary is down (its port refuses) when the record is run again.
  it('keeps the evidence of the last run that executed, saying when it was taken and why the latest failed', () => {
    const source = write(
      'kept.cnbook',
      '---\ncnbook: 2\ntitle: kept\n---\n# kept\n\n```sql\n-- @on primary\nSELECT count(*) AS n FROM t;\n```\n\n' +
        '```cnprobe\ntopology on=primary\n```\n',
    );
    const record = path.join(dir, 'kept.record.cnbook');
    const first = runOnTest(source, '--out', record);
    expect(first.code, first.stderr).toBe(0);
    const before = parseNotebook(fs.readFileSync(record, 'utf8'));
    const again = cnbook(['run', record, '--connections', connections, '--profile', 'broken', '--out', record]);
    expect(again.code, again.stderr).not.toBe(0);
    expect(again.stderr + again.stdout).toContain('kept the evidence of its last run that executed');
    const after = parseNotebook(fs.readFileSync(record, 'utf8'));
    const code = (nb: typeof after) => nb.cells.filter((c): c is CodeCell => c.kind === 'code');
    expect(code(after)).toHaveLength(2);
    code(after).forEach((cell, i) => {
      const earlier = code(before)[i]!;
      const [note, ...kept] = cell.outputs ?? [];
      expect(kept).toEqual(earlier.outputs);
      expect(note?.metadata?.keptEvidence).toMatchObject({
        takenAt: new Date(earlier.execution!.endTime!).toISOString(),
        reason: expect.stringMatching(/refused|connect/i),
      });
      expect(note?.items[0]?.text).toMatch(/The latest run could not execute/);
      expect(cell.execution?.success).toBe(false);
    });
    // The diagnosis still reads the kept evidence, and the timeline keeps both runs of each cell.
    expect(after.cells.find((c) => c.metadata?.cnbook === 'diagnosis')?.source).toBe(
      before.cells.find((c) => c.metadata?.cnbook === 'diagnosis')?.source,
    );
    const runs = timelineOf(after.cells).flatMap((e) => (e.kind === 'run' ? [e.outcome] : []));
    expect(runs).toEqual(['ok', 'ok', 'error', 'error']);
  });
});

describe('cnbook incident new', () => {
  it('copies a runbook to incidents/DATE-SLUG.cnbook with incident: filled, never over an earlier one', () => {
    const source = path.join(root, 'runbooks', 'orders-vs-items.cnbook');
    const first = cnbook(['incident', 'new', source, '--title', 'EU totals off', '--severity', 'SEV1']);
    expect(first.code, first.stderr).toBe(0);
    const created = first.stdout.trim();
    expect(created).toMatch(/^incidents\/\d{4}-\d{2}-\d{2}-eu-totals-off\.cnbook$/);
    const record = parseNotebook(fs.readFileSync(path.join(dir, created), 'utf8'));
    expect(record.frontMatter.incident).toMatchObject({ title: 'EU totals off', severity: 'sev1' });
    expect((record.frontMatter.incident as { responders: string[] }).responders).toHaveLength(1);
    const again = cnbook(['incident', 'new', source, '--title', 'EU totals off']);
    expect(again.stdout.trim()).toBe(created.replace('.cnbook', '-2.cnbook'));
    // Issue 18: opened within the same second (or minute), the two still have different ids.
    const idOf = (file: string) =>
      (parseNotebook(fs.readFileSync(path.join(dir, file), 'utf8')).frontMatter.incident as { id: string }).id;
    expect(idOf(again.stdout.trim())).not.toBe(idOf(created));
    expect(fs.readFileSync(path.join(dir, created), 'utf8')).toContain('severity: sev1');
  });

  it('explains a typo in an option, a wrong severity and a missing runbook', () => {
    const source = path.join(root, 'runbooks', 'orders-vs-items.cnbook');
    expect(cnbook(['incident', 'new', source, '--sevrity', 'sev1']).stderr).toMatch(/did you mean '--severity'/);
    expect(cnbook(['incident', 'new', source, '--severity', 'p1']).stderr).toMatch(/one of sev1, sev2, sev3, sev4/);
    const missing = cnbook(['incident', 'new', 'nope.cnbook']);
    expect([missing.code, missing.stderr]).toEqual([3, expect.stringMatching(/cannot read nope\.cnbook: ENOENT/)]);
    for (const command of ['run', 'check', 'incident', 'diff', 'sandbox', 'export'])
      for (const flag of ['--help', '-h']) {
        const help = cnbook([command, flag]);
        expect([help.code, help.stderr, help.stdout]).toEqual([0, '', expect.stringMatching(/^Usage:/)]);
      }
  });
});
