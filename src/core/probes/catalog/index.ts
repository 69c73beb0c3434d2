import type { CatalogProbeName, ProbeDefinition } from '../types';
import { causalOrderProbe } from './causalOrder';
import { clockSkewProbe } from './clockSkew';
import { foreignKeysProbe } from './foreignKeys';
import { locksProbe } from './locks';
import { orphansProbe } from './orphans';
import { preparedTransactionsProbe } from './preparedTransactions';
import { reconcileProbe } from './reconcile';
import { replicationLagProbe } from './replicationLag';
import { replicationSlotsProbe } from './replicationSlots';
import { rowCountsProbe } from './rowCounts';
import { sessionGuaranteesProbe } from './sessionGuarantees';
import { tableDriftProbe } from './tableDrift';
import { topologyProbe } from './topology';

// One definition per catalog name, checked by the compiler: a name without its probe does not build.
const PROBES: Record<CatalogProbeName, ProbeDefinition> = {
  'replication-lag': replicationLagProbe,
  'replication-slots': replicationSlotsProbe,
  'row-counts': rowCountsProbe,
  'foreign-keys': foreignKeysProbe,
  orphans: orphansProbe,
  topology: topologyProbe,
  'prepared-transactions': preparedTransactionsProbe,
  locks: locksProbe,
  'clock-skew': clockSkewProbe,
  'causal-order': causalOrderProbe,
  'table-drift': tableDriftProbe,
  'session-guarantees': sessionGuaranteesProbe,
  reconcile: reconcileProbe,
};

/** Every probe a cnprobe cell can name, by name. */
export const PROBE_CATALOG: ReadonlyMap<string, ProbeDefinition> = new Map(
  Object.values(PROBES).map((probe) => [probe.name, probe]),
);
