import { describe, expect, it } from 'vitest';
import { faultListing, FAULTS, formatFault, parseFault, FaultSpecError } from '../../src/core/sandbox/faults';
import { sandboxConnections } from '../../src/core/sandbox/profile';

const context = { replicas: ['us-west', 'eu-west'], servers: ['us-east', 'us-west', 'eu-west', 'target'] };

function error(spec: string): FaultSpecError {
  try {
    parseFault(spec, context);
  } catch (e) {
    return e as FaultSpecError;
  }
  throw new Error(`'${spec}' parsed`);
}

describe('parseFault', () => {
  it('reads every kind into typed fields', () => {
    expect(parseFault('pause=us-west', context)).toEqual({ kind: 'pause', replica: 'us-west' });
    expect(parseFault('lag=eu-west:2s', context)).toEqual({ kind: 'lag', replica: 'eu-west', delayMs: 2000 });
    expect(parseFault('drift=orders:0.05', context)).toEqual({ kind: 'drift', table: 'orders', fraction: 0.05 });
    expect(parseFault('orphans=order_items:3', context)).toEqual({ kind: 'orphans', table: 'order_items', count: 3 });
    expect(parseFault('totals=4', context)).toEqual({ kind: 'totals', count: 4 });
    expect(parseFault('prepared=2', context)).toEqual({ kind: 'prepared', count: 2 });
    expect(parseFault('locks', context)).toEqual({ kind: 'locks' });
    expect(parseFault('splitbrain=eu-west', context)).toEqual({ kind: 'splitbrain', replica: 'eu-west' });
    expect(parseFault('causal=5', context)).toEqual({ kind: 'causal', count: 5 });
    expect(parseFault('stale-session=us-west', context)).toEqual({ kind: 'stale-session', replica: 'us-west' });
    expect(parseFault('skew=target:-500ms', context)).toEqual({ kind: 'skew', server: 'target', offsetMs: -500 });
    expect(parseFault('failover', context)).toEqual({ kind: 'failover' });
    expect(parseFault('switchover=us-west', context)).toEqual({ kind: 'switchover', replica: 'us-west' });
    expect(parseFault('down=us-east', context)).toEqual({ kind: 'down', server: 'us-east' });
    expect(parseFault('proxy', context)).toEqual({ kind: 'proxy' });
  });

  it('round-trips through formatFault', () => {
    const specs = ['pause=us-west', 'lag=eu-west:1500ms', 'drift=users:0.5', 'locks', 'skew=us-east:+3000ms'];
    for (const spec of [...specs, 'failover', 'switchover=eu-west', 'down=target', 'proxy']) {
      expect(formatFault(parseFault(spec, context))).toBe(spec);
    }
  });

  it('points at a misspelt fault name with a suggestion', () => {
    const e = error('pasue=us-west');
    expect(e.column).toBe(1);
    expect(e.message).toBe(
      "--fault 'pasue=us-west', column 1: unknown fault 'pasue' (did you mean 'pause'?); 'cnbook sandbox --list-faults' lists them",
    );
  });

  it('points at a replica that does not exist, listing those that do', () => {
    const e = error('lag=us-wset:2s');
    expect(e.column).toBe(5);
    expect(e.message).toMatch(/no replica 'us-wset' \(did you mean 'us-west'\?\); the sandbox has: us-west, eu-west/);
    expect(error('pause=ap-southeast').message).toMatch(/no replica 'ap-southeast'; the sandbox has: us-west, eu-west/);
    expect(error('pause=us-east').message).toMatch(/no replica 'us-east'/);
  });

  it('points at the bad value of each part', () => {
    expect(error('drift=orders:2')).toMatchObject({ column: 14 });
    expect(error('drift=ordres:0.1').message).toMatch(/column 7: no table 'ordres' \(did you mean 'orders'\?\)/);
    expect(error('orphans=order_items:0').message).toMatch(/column 21: expected a count from 1 to 1000/);
    expect(error('lag=us-west:soon').message).toMatch(/column 13: expected a duration/);
    expect(error('skew=target:3s').message).toMatch(/expected a signed offset like \+3s/);
    expect(error('prepared=9').message).toMatch(/from 1 to 8/);
  });

  it('says what is missing or extra', () => {
    expect(error('pause').message).toMatch(/column 6: 'pause' needs a value \(usage: pause=REPLICA\)/);
    expect(error('lag=us-west').message).toMatch(/'lag' expects lag=REPLICA:DURATION/);
    expect(error('pause=us-west:2s').message).toMatch(/column 14: 'pause' expects pause=REPLICA/);
    expect(error('locks=3').message).toMatch(/'locks' takes no value/);
    expect(error('failover=us-east').message).toMatch(/'failover' takes no value/);
    expect(error('down').message).toMatch(/'down' needs a value \(usage: down=SERVER\)/);
  });
});

describe('faultListing', () => {
  it('has one line per fault, and says why skew is unavailable without libfaketime', () => {
    const lines = faultListing('libfaketime is not installed');
    expect(lines).toHaveLength(FAULTS.length);
    expect(lines.find((l) => l.startsWith('skew='))).toMatch(/\[unavailable: libfaketime is not installed\]$/);
    expect(faultListing(undefined).some((l) => l.includes('unavailable'))).toBe(false);
  });

  it('lists the transitions users practise: failover, switchover, down, proxy', () => {
    const usages = faultListing(undefined).map((l) => l.split(/\s+/)[0]);
    expect(usages).toEqual(expect.arrayContaining(['failover', 'switchover=SERVER', 'down=SERVER', 'proxy']));
  });
});

describe('sandboxConnections', () => {
  it('maps the servers to connections and the roles runbooks name', () => {
    const config = sandboxConnections([
      { name: 'us-east', role: 'primary', port: 5001 },
      { name: 'us-west', role: 'replica', port: 5002 },
      { name: 'target', role: 'target', port: 5003 },
    ]);
    expect(config.profiles.sandbox).toEqual({
      primary: 'us-east',
      source: 'us-east',
      replicas: ['us-west'],
      target: 'target',
    });
    expect(config.connections['us-west']).toMatchObject({ host: '127.0.0.1', port: 5002, user: 'postgres' });
    // Only the primary takes the markers of the probes that write, and only in a run that permits writes.
    expect(config.connections['us-east']?.allowWrites).toBe(true);
    expect(config.connections['us-west']?.allowWrites).toBeUndefined();
    expect(config.connections.target?.allowWrites).toBeUndefined();
  });
});
