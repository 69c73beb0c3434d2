import type { ProbeDefinition } from '../types';
import { causalOrderProbe } from './causalOrder';
import { clockSkewProbe } from './clockSkew';
import { foreignKeysProbe } from './foreignKeys';
import { locksProbe } from './locks';
import { orphansProbe } from './orphans';
import { preparedTransactionsProbe } from './preparedTransactions';
import { replicationLagProbe } from './replicationLag';
import { replicationSlotsProbe } from './replicationSlots';
import { rowCountsProbe } from './rowCounts';
import { sessionGuaranteesProbe } from './sessionGuarantees';
import { tableDriftProbe } from './tableDrift';
import { topologyProbe } from './topology';

/** Every probe a cnprobe cell can name. */
export const PROBE_CATALOG: ReadonlyMap<string, ProbeDefinition> = new Map(
  [
    replicationLagProbe,
    replicationSlotsProbe,
    rowCountsProbe,
    foreignKeysProbe,
    orphansProbe,
    topologyProbe,
    preparedTransactionsProbe,
    locksProbe,
    clockSkewProbe,
    causalOrderProbe,
    tableDriftProbe,
    sessionGuaranteesProbe,
  ].map((probe) => [probe.name, probe]),
);
