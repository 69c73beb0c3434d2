/** The core decisions of discovery, from facts as servers report them (the driver's side is tested on servers). */
import { describe, expect, it } from 'vitest';
import { decideRoles } from '../../src/core/cluster/roles';
import { identifyNodes } from '../../src/core/cluster/identity';
import { parseTimelineHistory, type MemberFacts, type ServerFacts } from '../../src/core/cluster/serverFacts';
import type { ResolvedConnection, RoleBinding } from '../../src/core/connections/model';
import { validateConnectionsConfig } from '../../src/core/connections/config';

const connection = (name: string, port: number, host = '10.0.0.1'): ResolvedConnection => ({
  name,
  host,
  port,
  database: 'app',
  user: 'u',
  sslmode: 'disable',
  allowWrites: false,
  passwordSource: 'none',
});

function facts(port: number, over: Partial<ServerFacts> = {}): ServerFacts {
  return {
    inRecovery: false,
    systemIdentifier: '7311',
    timeline: 1,
    upstreamHost: null,
    upstreamPort: null,
    receiverStatus: null,
    serverAddress: '10.0.0.1',
    serverPort: port,
    postmasterStartTime: '1700000000.5',
    replayPaused: null,
    defaultReadOnly: false,
    walLsn: '0/3000000',
    ...over,
  };
}
const standbyOf = (port: number, upstream: number, over: Partial<ServerFacts> = {}) =>
  facts(port, {
    inRecovery: true,
    upstreamHost: '10.0.0.1',
    upstreamPort: upstream,
    receiverStatus: 'streaming',
    ...over,
  });

const pg1 = connection('pg1', 5432);
const pg2 = connection('pg2', 5433);
const pg3 = connection('pg3', 5434);
const healthy: MemberFacts[] = [
  { connection: pg1, facts: facts(5432) },
  { connection: pg2, facts: standbyOf(5433, 5432) },
  { connection: pg3, facts: standbyOf(5434, 5432) },
];
const declared = (roles: Record<string, ResolvedConnection[]>) =>
  new Map<string, RoleBinding>(
    Object.entries(roles).map(([role, cs]) => [role, { role, connections: cs, source: 'declared' }]),
  );
const found = new Map();

describe('one server, one node', () => {
  it('a proxy port that reaches the primary is the same node as its direct port, named after it', () => {
    // HAProxy's read-write port on another host: the server reports its own address and port.
    const lb = connection('lb-rw', 5000, '10.0.0.9');
    const nodes = identifyNodes([{ connection: lb, facts: facts(5432) }, ...healthy]);
    expect(nodes.map((n) => [n.name, n.connections.map((c) => c.name)])).toEqual([
      ['pg1', ['pg1', 'lb-rw']],
      ['pg2', ['pg2']],
      ['pg3', ['pg3']],
    ]);
  });

  it('a server restarted on the same port is another node (the postmaster start time differs)', () => {
    const again = {
      connection: connection('pg1-again', 5432),
      facts: facts(5432, { postmasterStartTime: '1700000900' }),
    };
    expect(identifyNodes([healthy[0]!, again])).toHaveLength(2);
  });
});

describe('roles decided from the servers', () => {
  it('members only: the writable one is the primary, those streaming from it its replicas', () => {
    const view = decideRoles({ declared: new Map(), members: healthy, memberSource: found });
    expect(view.bindings.get('primary')?.connections.map((c) => c.name)).toEqual(['pg1']);
    expect(view.bindings.get('replicas')?.connections.map((c) => c.name)).toEqual(['pg2', 'pg3']);
    expect(view.findings).toEqual([]);
  });

  it('a standby of another cluster (another system identifier) is no replica of this primary', () => {
    const other = { connection: pg3, facts: standbyOf(5434, 6000, { systemIdentifier: '9999' }) };
    const view = decideRoles({ declared: new Map(), members: [healthy[0]!, healthy[1]!, other], memberSource: found });
    expect(view.replicas.map((n) => n.name)).toEqual(['pg2']);
  });

  it('a declared primary that is a standby now: the moved role, with the writable node', () => {
    const members = [
      { connection: pg1, facts: standbyOf(5432, 5433, { timeline: 2 }) },
      { connection: pg2, facts: facts(5433, { timeline: 2 }) },
    ];
    const view = decideRoles({ declared: declared({ primary: [pg1] }), members, memberSource: found });
    expect(view.findings.map((f) => f.summary)).toEqual([
      'declared primary pg1 is a standby now (timeline 2); writable now: pg2',
    ]);
    // Declared roles are kept as declared: the finding says what to change.
    expect(view.bindings.get('primary')?.connections.map((c) => c.name)).toEqual(['pg1']);
  });

  it('no writable member: no primary, bound to nothing, and the members that did not answer named', () => {
    const members = [
      { connection: pg1, error: 'connect ECONNREFUSED 10.0.0.1:5432' },
      {
        connection: pg2,
        facts: standbyOf(5433, 5432, { receiverStatus: null, upstreamHost: null, upstreamPort: null }),
      },
    ];
    const view = decideRoles({ declared: new Map(), members, memberSource: found });
    expect(view.bindings.has('primary')).toBe(false);
    expect(view.findings.map((f) => [f.metrics.noPrimary ?? false, f.metrics.unreachable ?? false])).toEqual([
      [true, false],
      [false, true],
    ]);
  });

  it('members the HA manager named are bound with that source', () => {
    const view = decideRoles({
      declared: new Map(),
      members: healthy,
      memberSource: new Map([
        ['pg2', 'ha-manager'],
        ['pg3', 'ha-manager'],
      ]),
    });
    expect(view.bindings.get('primary')?.source).toBe('found');
    expect(view.bindings.get('replicas')?.source).toBe('ha-manager');
  });
});

describe('a profile that says where its roles are found', () => {
  it('reads discover.members and refuses an unknown member', () => {
    const data = { connections: { pg1: 'postgres://h/db' }, profiles: { p: { discover: { members: ['pg1'] } } } };
    const { config } = validateConnectionsConfig(data, 'f');
    expect(config.discovery).toEqual({ p: { members: ['pg1'] } });
    expect(config.profiles.p).toEqual({});
    const wrong = { ...data, profiles: { p: { discover: { members: ['pg9'] } } } };
    expect(() => validateConnectionsConfig(wrong, 'f')).toThrow(/unknown connection "pg9"/);
  });
});

describe('a timeline change: when and where it forked', () => {
  const history = parseTimelineHistory('1\t0/3000060\tno recovery target specified\n');

  it('reads the history file pg_wal keeps for the timeline', () => {
    expect(history).toEqual([{ parent: 1, forkLsn: '0/3000060' }]);
  });

  it('an old primary with WAL past the fork: writes that may exist only there', () => {
    const members = [
      { connection: pg1, facts: facts(5432, { timeline: 1, walLsn: '0/3000100' }) },
      { connection: pg2, facts: facts(5433, { timeline: 2, timelineHistory: history, walLsn: '0/3000200' }) },
    ];
    const fork = decideRoles({ declared: new Map(), members, memberSource: found }).findings[0];
    expect(fork?.summary).toBe(
      'timeline fork: pg1 is on timeline 1, pg2 on 2 (forked from timeline 1 at 0/3000060); ' +
        "pg1's WAL reaches 0/3000100, past the fork: writes after 0/3000060 may exist only on pg1",
    );
    expect(fork?.severity).toBe('critical');
  });

  it('a standby left on the old timeline with nothing past the fork: a warning, no writes to save', () => {
    const members = [
      { connection: pg2, facts: facts(5433, { timeline: 2, timelineHistory: history }) },
      { connection: pg1, facts: standbyOf(5432, 9999, { timeline: 1, walLsn: '0/3000060' }) },
    ];
    const fork = decideRoles({ declared: new Map(), members, memberSource: found }).findings[0];
    expect([fork?.severity, fork?.metrics.pastFork]).toEqual(['warning', false]);
  });

  it('the history not readable (no pg_read_server_files): the fork is named without its position, and why', () => {
    const members = [
      { connection: pg1, facts: standbyOf(5432, 9999, { timeline: 1 }) },
      { connection: pg2, facts: facts(5433, { timeline: 2, timelineHistoryUnreadable: 'permission denied' }) },
    ];
    const fork = decideRoles({ declared: new Map(), members, memberSource: found }).findings[0];
    expect(fork?.summary).toMatch(/\(fork position not readable: permission denied\)$/);
  });
});

describe('a split brain is not a moved role', () => {
  it('a declared replica writable beside the primary is left to topology (split brain), not named moved', () => {
    const members = [
      { connection: pg1, facts: facts(5432) },
      { connection: pg2, facts: facts(5433, { timeline: 2 }) },
    ];
    const view = decideRoles({ declared: declared({ primary: [pg1], replicas: [pg2] }), members, memberSource: found });
    expect(view.writable).toHaveLength(2);
    expect(view.findings.filter((f) => f.metrics.roleMismatch === true)).toEqual([]);
  });
});

describe('a logical copy beside the cluster', () => {
  it('is another system: writable on its own, no second primary, no split brain, no replica', () => {
    const copy = { connection: connection('copy', 6000), facts: facts(6000, { systemIdentifier: '9999' }) };
    const view = decideRoles({
      declared: declared({ target: [copy.connection] }),
      members: [...healthy, copy],
      memberSource: found,
    });
    expect(view.writable.map((n) => n.name)).toEqual(['pg1']);
    expect(view.bindings.get('primary')?.connections.map((c) => c.name)).toEqual(['pg1']);
    expect(view.replicas.map((n) => n.name)).toEqual(['pg2', 'pg3']);
    expect(view.findings).toEqual([]);
  });
});

describe('a role moved beside a logical copy', () => {
  // The sandbox with one replica after a failover: us-east down, us-west promoted, and `target` (its own
  // initdb, writable) listed first. One member each: the count cannot tell which system the roles are about.
  it('counts only members of the declared cluster as writable, never the copy', () => {
    const target = { connection: connection('target', 6000), facts: facts(6000, { systemIdentifier: '9999' }) };
    const usEast = { connection: pg1, error: 'connection refused' };
    const usWest = { connection: pg2, facts: facts(5433, { timeline: 2 }) };
    const view = decideRoles({
      declared: declared({ target: [target.connection], primary: [pg1], replicas: [pg2] }),
      members: [target, usEast, usWest],
      memberSource: found,
    });
    expect(view.writable.map((n) => n.name)).toEqual(['pg2']);
    const moved = view.findings.filter((f) => f.metrics.roleMismatch === true);
    expect(moved.map((f) => f.summary)).toEqual(['declared replicas pg2 is writable; writable now: pg2']);
  });
});
