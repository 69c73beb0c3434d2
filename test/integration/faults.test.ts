/**
 * Each sandbox fault, injected in real servers, is found by the probe meant to find it, and clearing it
 * makes that probe healthy again. Detection times (inject → finding) are logged for the numbers.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/core/probes/types';
import { Fault, parseFault } from '../../src/core/sandbox/faults';
import { fakeTimeLibrary } from '../../src/sandbox/binaries';
import { clearFault, injectFault } from '../../src/sandbox/faults';
import { ServerNode } from '../../src/sandbox/server';
import { runProbeCell } from '../helpers/probeRun';
import { useTempSandbox } from '../helpers/sandboxHome';
import { bindingsOf, connectionTo, newPool } from './sqlHarness';

const { sandbox } = useTempSandbox('cnbook-faults-test-', 'faults', { replicas: 2 });
const pool = newPool();
const detection: Record<string, number> = {};

afterAll(async () => {
  await pool.closeAll();
  console.log(`fault → finding (ms, inject + probe): ${JSON.stringify(detection)}`);
});

function node(name: string): ServerNode {
  return sandbox.nodes().find((n) => n.name === name) as ServerNode;
}

function bindings() {
  const conn = (name: string, allowWrites = false) => connectionTo(node(name), name, { allowWrites });
  return bindingsOf({
    primary: [conn('us-east', true)],
    replicas: [conn('us-west'), conn('eu-west')],
    target: [conn('target')],
    all: ['us-east', 'us-west', 'eu-west', 'target'].map((n) => conn(n)),
  });
}

async function probe(source: string): Promise<Record<string, Finding>> {
  const findings = await runProbeCell(source, { bindings: bindings(), pool, writesPermitted: true });
  return Object.fromEntries(findings.map((f) => [f.target, f]));
}

const readYourWrites = (f: Record<string, Finding>) =>
  Object.values(f).find((x) => x.target.endsWith('read-your-writes'));

function fault(spec: string): Fault {
  return parseFault(spec, sandbox.faultContext());
}

/** Injects, probes and times it; then clears and checks the probe is healthy again. */
async function roundTrip(
  spec: string,
  source: string,
  found: (f: Record<string, Finding>) => void,
  healthy: (f: Record<string, Finding>) => void,
): Promise<void> {
  const started = Date.now();
  await injectFault(sandbox, fault(spec));
  // Some faults show only once time passes (a paused replay is "behind" once WAL waits past warn=).
  await eventually(async () => found(await probe(source)));
  detection[spec] = Date.now() - started;
  expect(sandbox.status().faults).toContain(spec);
  await clearFault(sandbox, fault(spec));
  await eventually(async () => healthy(await probe(source)));
  expect(sandbox.status().faults).not.toContain(spec);
}

async function eventually(check: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

describe('faults, each found by its probe and cleared', () => {
  it('pause=us-west → replication-lag says replay PAUSED', async () => {
    await roundTrip(
      'pause=us-west',
      'replication-lag on=replicas warn=100ms',
      (f) => {
        expect(f['us-west']?.severity).not.toBe('ok');
        expect(f['us-west']?.summary).toMatch(/PAUSED/);
        expect(f['eu-west']?.severity).toBe('ok');
      },
      (f) => expect(f['us-west']?.severity).toBe('ok'),
    );
  });

  it('lag=eu-west:3s → replication-lag sees eu-west behind', async () => {
    await roundTrip(
      'lag=eu-west:3000ms',
      'replication-lag on=replicas warn=100ms',
      (f) => expect(f['eu-west']?.severity).not.toBe('ok'),
      (f) => expect(f['eu-west']?.severity).toBe('ok'),
    );
  });

  it('drift=orders:0.1 → table-drift finds 100 rows different on the target', async () => {
    await roundTrip(
      'drift=orders:0.1',
      'table-drift table=orders key=id source=primary target=target settle=200ms',
      (f) => expect(Object.values(f)[0]).toMatchObject({ severity: 'critical' }),
      (f) => expect(Object.values(f)[0]?.severity).toBe('ok'),
    );
  });

  it('orphans=order_items:3 → foreign-keys finds 3 rows behind the NOT VALID key', async () => {
    await roundTrip(
      'orphans=order_items:3',
      'foreign-keys on=primary',
      (f) => {
        expect(f['us-east/order_items_order_fk']?.severity).toBe('critical');
        expect(f['us-east/order_items_order_fk']?.summary).toMatch(/3 violating row\(s\) \(NOT VALID\)/);
      },
      (f) => expect(f['us-east/order_items_order_fk']?.severity).toBe('ok'),
    );
  });

  it('totals=4 → four orders whose stored total disagrees with their items', async () => {
    const wrong = async () =>
      (
        await node('us-east').query(`SELECT count(*)::int AS n FROM orders o
          WHERE abs(o.total_amount - (SELECT coalesce(sum(price * quantity), 0) FROM order_items WHERE order_id = o.id)) > 0.01`)
      )[0].n;
    await injectFault(sandbox, fault('totals=4'));
    expect(await wrong()).toBe(4);
    await clearFault(sandbox, fault('totals=4'));
    expect(await wrong()).toBe(0);
  });

  it('prepared=2 → prepared-transactions lists two stuck transactions', async () => {
    await roundTrip(
      'prepared=2',
      'prepared-transactions on=primary older-than=0s',
      (f) => expect(Object.values(f)[0]).toMatchObject({ metrics: { prepared: 2 } }),
      (f) => expect(Object.values(f)[0]?.severity).toBe('ok'),
    );
  });

  it('locks → locks sees two sessions blocked behind one idle in transaction', async () => {
    await roundTrip(
      'locks',
      'locks on=primary blocked-warn=0s long-transaction=0s',
      (f) => {
        expect(f['us-east']).toMatchObject({ severity: 'warning', metrics: { blockedSessions: 2 } });
        expect(f['us-east/transactions']?.severity).toBe('warning');
      },
      (f) => expect(f['us-east']?.metrics?.blockedSessions).toBe(0),
    );
  });

  it('causal=3 → causal-order finds events recorded before their parents', async () => {
    await roundTrip(
      'causal=3',
      'causal-order table=events key=id parent=parent_id time=created_at on=primary',
      (f) => expect(f['us-east/events order']?.severity).not.toBe('ok'),
      (f) => expect(f['us-east/events order']?.severity).toBe('ok'),
    );
  });

  it('stale-session=us-west → session-guarantees: reads routed there never see their own writes', async () => {
    // Round-robin reads on async replicas are often a little stale anyway; the fault makes them stay
    // stale for the whole wait, which a healthy replica never does.
    const worst = (f: Record<string, Finding>) => Number(readYourWrites(f)?.metrics?.worstStalenessMs);
    await roundTrip(
      'stale-session=us-west',
      'session-guarantees routing=round-robin sessions=2 operations=2 wait=2s',
      (f) => {
        expect(readYourWrites(f)?.severity).toBe('critical');
        expect(worst(f)).toBeGreaterThanOrEqual(2000);
      },
      (f) => expect(worst(f)).toBeLessThan(2000),
    );
  });

  it('splitbrain=eu-west → topology finds two writable nodes; clearing rebuilds the standby', async () => {
    await roundTrip(
      'splitbrain=eu-west',
      'topology on=all',
      (f) =>
        expect(Object.values(f).some((x) => x.severity === 'critical' && /split brain/.test(x.summary))).toBe(true),
      (f) => expect(Object.values(f).every((x) => x.severity === 'ok')).toBe(true),
    );
    const [{ recovering }] = await node('eu-west').query('SELECT pg_is_in_recovery() AS recovering');
    expect(recovering).toBe(true);
  });

  const why = fakeTimeLibrary() ? '' : ' (SKIPPED: libfaketime is not installed; apt-get install -y libfaketime)';
  it.skipIf(!fakeTimeLibrary())(`skew=target:+3s → clock-skew measures the target 3 s ahead${why}`, async () => {
    await roundTrip(
      'skew=target:+3000ms',
      'clock-skew on=target',
      (f) => expect(Object.values(f)[0]?.severity).toBe('critical'),
      (f) => expect(Object.values(f)[0]?.severity).toBe('ok'),
    );
  });
});
