/**
 * `cnbook run` on a cluster that moved, as an on-call engineer runs it: a profile naming a standby as the
 * primary (after a switchover), then the primary down with no replica promoted (a failover under way).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, runCli } from '../helpers/builtCli';
import { parseNotebook } from '../../src/core/format/parse';
import { RESULT_MIME } from '../../src/core/format/model';
import type { ResultPayload } from '../../src/core/sql/payload';
import { PgCluster, startCluster } from '../helpers/pgCluster';

let cluster: PgCluster;
let dir: string;
let connections: string;

beforeAll(async () => {
  buildCli();
  cluster = await startCluster({ replicas: 1 });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnbook-discovery-'));
  const spec = (port: number) => ({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
  connections = path.join(dir, 'connections.json');
  const config = {
    connections: { pg1: spec(cluster.primary.port), pg2: spec(cluster.replicas[0]!.port) },
    profiles: {
      // After a switchover: the profile still names the old roles.
      stale: { primary: 'pg2', replicas: 'pg1' },
      found: { discover: { members: ['pg1', 'pg2'] } },
      // Only the HA manager: nothing to copy a login from for the members it names.
      haOnly: { discover: { patroni: ['http://127.0.0.1:9/'] } },
    },
  };
  fs.writeFileSync(connections, JSON.stringify(config));
});
afterAll(async () => {
  await cluster?.destroy();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** A runbook whose first cell needs the primary (fails on a standby), then a replica step and topology. */
function runbook(): string {
  const file = path.join(dir, 'triage.cnbook');
  const cells = ['```sql\n-- @on primary\nSELECT pg_current_wal_lsn()\n```', '```sql\n-- @on replicas\nSELECT 2\n```'];
  cells.push('```cnprobe\ntopology on=all\n```');
  fs.writeFileSync(file, `---\ncnbook: 1\ntitle: triage\n---\n# triage\n\n${cells.join('\n\n')}\n`);
  return file;
}

function run(profile: string, ...more: string[]) {
  const r = runCli(['run', runbook(), '--connections', connections, '--profile', profile, '--json', ...more], {
    cwd: dir,
    env: { PGPASSWORD: '' },
  });
  return { ...r, summary: JSON.parse(r.stdout) };
}

describe('cnbook run while the cluster moves', () => {
  it('a declared primary that is a standby now: the moved role leads, its cell is recorded, the rest runs', () => {
    const { summary } = run('stale');
    expect(summary.cells.map((c: { status: string }) => c.status)).toEqual(['error', 'ok', 'ok']);
    expect(summary.cells[0].wrongRole).toBe(true);
    expect(summary.diagnosis.consistencyType).toBe('availability');
    expect(summary.diagnosis.rootCause).toBe(
      'roles moved: declared primary pg2 is a standby now (timeline 1); writable now: pg1',
    );
    expect(summary.notSeen.cells).toEqual([{ index: 1, why: expect.stringMatching(/recovery is in progress/) }]);
  });

  it('--fail-fast: the old behaviour, stopped at that cell', () => {
    const { summary } = run('stale', '--fail-fast');
    expect(summary.cells.map((c: { status: string }) => c.status)).toEqual(['error', 'skipped', 'skipped']);
  });

  it('found roles on a healthy cluster: nothing wrong, provenance says how each role was known', () => {
    const { summary, code } = run('found');
    expect(code).toBe(0);
    expect(summary.diagnosis.consistencyType).toBe('none');
    const record = runCli(['run', runbook(), '--connections', connections, '--profile', 'found', '--out', 'r.cnbook'], {
      cwd: dir,
      env: { PGPASSWORD: '' },
    });
    expect(record.code).toBe(0);
    const notebook = parseNotebook(fs.readFileSync(path.join(dir, 'r.cnbook'), 'utf8'));
    const results = notebook.cells.flatMap((c) => (c.kind === 'code' ? (c.outputs ?? []) : []));
    const runs = results
      .flatMap((o) => o.items.filter((i) => i.mime === RESULT_MIME && i.text !== undefined))
      .flatMap((i) => (JSON.parse(i.text ?? '{}') as ResultPayload).results);
    expect(runs.map((r) => [r.connection, r.provenance.role, r.provenance.roleSource])).toEqual([
      ['pg1', 'primary', 'found'],
      ['pg2', 'replicas', 'found'],
    ]);
  });

  it('cnbook check takes a profile that leaves primary and replicas to discovery', () => {
    const r = runCli(['check', runbook(), '--connections', connections, '--profile', 'found'], { cwd: dir });
    expect(r.stderr).not.toMatch(/has no connection for role/);
    expect(r.code, r.stderr).toBe(0);
  });

  it('cnbook check warns of a profile with only discover.patroni: its members could not be logged in to', () => {
    const r = runCli(['check', runbook(), '--connections', connections, '--profile', 'haOnly'], { cwd: dir });
    expect(r.stderr).toContain(
      "warning: profile 'haOnly': discover.patroni lists the HA manager, but the profile names no connection",
    );
  });

  it('the primary down, no replica promoted: no primary (never integrity), its step not run, rest run', async () => {
    await cluster.primary.stop('immediate');
    const { summary, stdout } = run('found');
    expect(summary.cells.map((c: { status: string }) => c.status)).toEqual(['error', 'ok', 'ok']);
    expect(summary.cells[0].error).toMatch(/no server holds role 'primary' now/);
    expect(summary.diagnosis.consistencyType).toBe('availability');
    expect(summary.diagnosis.rootCause).toMatch(/^no primary — failover in progress or the primary is down/);
    expect(summary.diagnosis.problems.map((p: { type: string }) => p.type)).not.toContain('strong');
    expect(summary.notSeen.nodes).toEqual(['pg1']);
    expect(stdout).not.toMatch(/integrity/);
  });
});
