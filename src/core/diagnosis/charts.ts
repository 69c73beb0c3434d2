/**
 * The investigation flowcharts of the incident guide as data: nodes, edges, the guide's time budgets, and
 * the probes whose findings bear on each node. Host nodes are generated from the profile's connections.
 */
import type { ProbeName } from '../probes/types';

export type NodeShape = 'start' | 'step' | 'decision' | 'branch' | 'host';

export type ChartId = 'overall' | 'eventual' | 'strong' | 'session' | 'causal';

/** The type branches of the overall chart, one per consistency type. */
export type TypeBranchNodeId = 'Eventual' | 'Strong' | 'Causal' | 'Session';
export type OverallNodeId =
  'Alert' | 'Scope' | 'Model' | 'Types' | TypeBranchNodeId | 'Reconcile' | 'Validate' | 'Monitor';
/** Host nodes are numbered in profile order. */
export type HostNodeId = `Host${number}`;
export type EventualNodeId =
  | 'Issue'
  | 'Lag'
  | 'Hosts'
  | HostNodeId
  | 'Cause'
  | 'CauseKind'
  | 'Network'
  | 'Capacity'
  | 'Config'
  | 'Restore'
  | 'Validate';
export type StrongNodeId =
  | 'Violation'
  | 'Txn'
  | 'TwoPC'
  | 'Prepare'
  | 'Locks'
  | 'Nodes'
  | 'RootCause'
  | 'Category'
  | 'Deadlock'
  | 'Timeout'
  | 'Partition'
  | 'Integrity'
  | 'Recovery'
  | 'ACID';
export type SessionNodeId =
  | 'Stale'
  | 'Tracing'
  | 'Routing'
  | 'Policy'
  | 'Sticky'
  | 'RoundRobin'
  | 'Weighted'
  | 'Hash'
  | 'Fix'
  | 'Strategy'
  | 'Replication'
  | 'Cache'
  | 'Repair'
  | 'Validate';
export type CausalNodeId =
  | 'Disorder'
  | 'Ordering'
  | 'Chains'
  | 'Skew'
  | 'Cause'
  | 'ClockCause'
  | 'OrderCause'
  | 'LagCause'
  | 'Repair'
  | 'Validate';
export type NodeId = OverallNodeId | EventualNodeId | StrongNodeId | SessionNodeId | CausalNodeId;
/** The branch nodes a root cause points to (classify.ts), each with a suggestion (engine.ts). */
export type CauseNodeId = Extract<
  NodeId,
  | 'Scope'
  | 'Config'
  | 'Network'
  | 'Capacity'
  | 'Partition'
  | 'Timeout'
  | 'Deadlock'
  | 'Integrity'
  | 'Sticky'
  | 'RoundRobin'
  | 'Weighted'
  | 'Hash'
  | 'ClockCause'
  | 'OrderCause'
>;
type GroupId = 'HostGroup';
type Edge = [NodeId | GroupId, NodeId | GroupId];

export interface ChartNode {
  id: NodeId;
  title: string;
  detail?: string;
  budgetMin?: number;
  shape: NodeShape;
  /** Probe names whose findings decide this node's state. */
  probes?: ProbeName[];
  /** For host nodes: the connection they stand for. */
  connection?: string;
}

export interface Chart {
  id: ChartId;
  title: string;
  nodes: ChartNode[];
  /** Edges between node or group ids. */
  edges: Edge[];
  /** Boxes around nodes; an edge to or from a box stands for one to or from each node in it. */
  groups?: ChartGroup[];
}

export interface ChartGroup {
  id: GroupId;
  title: string;
  nodes: NodeId[];
}

export interface HostInfo {
  connection: string;
  role?: string;
}

const step = (id: NodeId, title: string, detail: string, budgetMin?: number, probes?: ProbeName[]): ChartNode => ({
  id,
  title,
  detail,
  shape: 'step',
  ...(budgetMin ? { budgetMin } : {}),
  ...(probes ? { probes } : {}),
});
const branch = (id: NodeId, title: string, detail: string, probes?: ProbeName[]): ChartNode => ({
  id,
  title,
  detail,
  shape: 'branch',
  ...(probes ? { probes } : {}),
});

export function overallChart(): Chart {
  return {
    id: 'overall',
    title: 'Investigation flow',
    nodes: [
      { id: 'Alert', title: 'Data inconsistency alert', detail: 'Cross-service data mismatch', shape: 'start' },
      step('Scope', '1. Inconsistency scope', 'Identify affected data sets', 5, [
        'row-counts',
        'table-drift',
        'sql-check',
        'orphans',
        'foreign-keys',
      ]),
      step('Model', '2. Consistency model analysis', 'Expected vs actual behaviour', 4),
      { id: 'Types', title: '3. Consistency type', detail: 'Pattern identification', shape: 'decision', budgetMin: 3 },
      branch('Eventual', 'Eventual consistency', 'Delayed propagation', [
        'replication-lag',
        'replication-slots',
        'row-counts',
        'table-drift',
      ]),
      branch('Strong', 'Strong consistency', 'Immediate consistency required', [
        'prepared-transactions',
        'locks',
        'topology',
        'foreign-keys',
        'orphans',
        'sql-check',
      ]),
      branch('Causal', 'Causal consistency', 'Ordered dependencies', ['causal-order', 'clock-skew']),
      branch('Session', 'Session consistency', 'User session scope', ['session-guarantees']),
      step('Reconcile', '5. Data reconciliation', 'Restore consistency', 20),
      step('Validate', '6. Consistency validation', 'Verify data integrity', 10),
      step('Monitor', '7. Enhanced monitoring', 'Prevent recurrence', 8),
    ],
    edges: [
      ['Alert', 'Scope'],
      ['Scope', 'Model'],
      ['Model', 'Types'],
      ['Types', 'Eventual'],
      ['Types', 'Strong'],
      ['Types', 'Causal'],
      ['Types', 'Session'],
      ['Eventual', 'Reconcile'],
      ['Strong', 'Reconcile'],
      ['Causal', 'Reconcile'],
      ['Session', 'Reconcile'],
      ['Reconcile', 'Validate'],
      ['Validate', 'Monitor'],
    ],
  };
}

/** The eventual-consistency chart, with one node per connection of the profile instead of the guide's example regions. */
export function eventualChart(hosts: HostInfo[]): Chart {
  const hostNodes: ChartNode[] = hosts.map((h, i) => ({
    id: hostNodeId(i),
    title: h.connection,
    detail: h.role ?? '',
    shape: 'host',
    connection: h.connection,
    probes: ['replication-lag', 'topology', 'row-counts'],
  }));
  return {
    id: 'eventual',
    title: 'Eventual consistency analysis',
    nodes: [
      { id: 'Issue', title: 'Eventual consistency issue', detail: 'Read-after-write inconsistency', shape: 'start' },
      step('Lag', '1. Replication lag analysis', 'Propagation to every replica', 4, ['replication-lag']),
      step('Hosts', '2. Per-host analysis', 'Consistency across hosts', 5, ['row-counts', 'table-drift']),
      ...hostNodes,
      step('Cause', '3. Lag root cause', 'Identify the bottleneck', 8),
      { id: 'CauseKind', title: 'Lag root cause?', shape: 'decision' },
      branch('Network', '4a. Network', 'WAL receiver down, bandwidth, packet loss', ['topology']),
      branch('Capacity', '4b. Capacity', 'Replay cannot keep up, retained WAL', ['replication-slots']),
      branch('Config', '4c. Configuration', 'Replay paused, apply delay, sync settings', ['replication-lag']),
      step('Restore', '5. Consistency restoration', 'Apply targeted fixes', 15),
      step('Validate', '6. Eventual validation', 'Monitor lag reduction', 12),
    ],
    // Hosts sit in one box with an edge in and out: two edges per host made a 50-replica chart take
    // twice as long to lay out and draw, and said nothing more.
    groups:
      hostNodes.length > 0
        ? [{ id: 'HostGroup', title: 'Connections of the profile', nodes: hostNodes.map((h) => h.id) }]
        : [],
    edges: [
      ['Issue', 'Lag'],
      ['Lag', 'Hosts'],
      ...(hostNodes.length > 0
        ? ([
            ['Hosts', 'HostGroup'],
            ['HostGroup', 'Cause'],
          ] satisfies Edge[])
        : ([['Hosts', 'Cause']] satisfies Edge[])),
      ['Cause', 'CauseKind'],
      ['CauseKind', 'Network'],
      ['CauseKind', 'Capacity'],
      ['CauseKind', 'Config'],
      ['Network', 'Restore'],
      ['Capacity', 'Restore'],
      ['Config', 'Restore'],
      ['Restore', 'Validate'],
    ],
  };
}

export function strongChart(): Chart {
  return {
    id: 'strong',
    title: 'Strong consistency debugging',
    nodes: [
      {
        id: 'Violation',
        title: 'Strong consistency violation',
        detail: 'Transaction isolation failure',
        shape: 'start',
      },
      step('Txn', '1. Transaction analysis', 'Integrity of what was committed', 6, [
        'sql-check',
        'foreign-keys',
        'orphans',
      ]),
      step('TwoPC', '2. Two-phase commit analysis', 'Coordinator and participant status', 5, ['prepared-transactions']),
      branch('Prepare', 'Prepare phase', 'In-doubt prepared transactions', ['prepared-transactions']),
      branch('Locks', 'Locks', 'Blocking chains, long transactions, deadlocks', ['locks']),
      branch('Nodes', 'Writable nodes', 'Topology and split brain', ['topology']),
      step('RootCause', '3. Violation root cause', 'Transaction failure analysis', 10),
      { id: 'Category', title: 'Violation category?', shape: 'decision' },
      branch('Deadlock', '4a. Deadlock / lock resolution', 'Lock ordering, timeouts, retries', ['locks']),
      branch('Timeout', '4b. Two-phase commit recovery', 'Commit or roll back in-doubt transactions', [
        'prepared-transactions',
      ]),
      branch('Partition', '4c. Partition / split brain', 'Fence the extra primary, repair', ['topology']),
      branch('Integrity', '4d. Integrity repair', 'Rows that break keys or totals', [
        'foreign-keys',
        'orphans',
        'sql-check',
      ]),
      step('Recovery', '5. Strong consistency recovery', 'Restore ACID properties', 20),
      step('ACID', '6. ACID validation', 'Verify transaction properties', 15),
    ],
    edges: [
      ['Violation', 'Txn'],
      ['Txn', 'TwoPC'],
      ['TwoPC', 'Prepare'],
      ['TwoPC', 'Locks'],
      ['TwoPC', 'Nodes'],
      ['Prepare', 'RootCause'],
      ['Locks', 'RootCause'],
      ['Nodes', 'RootCause'],
      ['RootCause', 'Category'],
      ['Category', 'Deadlock'],
      ['Category', 'Timeout'],
      ['Category', 'Partition'],
      ['Category', 'Integrity'],
      ['Deadlock', 'Recovery'],
      ['Timeout', 'Recovery'],
      ['Partition', 'Recovery'],
      ['Integrity', 'Recovery'],
      ['Recovery', 'ACID'],
    ],
  };
}

export function sessionChart(): Chart {
  return {
    id: 'session',
    title: 'Session consistency investigation',
    nodes: [
      { id: 'Stale', title: 'Session consistency issue', detail: 'User sees stale data', shape: 'start' },
      step('Tracing', '1. Session tracing', 'Read-your-writes, monotonic reads', 4, ['session-guarantees']),
      step('Routing', '2. Routing analysis', 'Affinity and routing policy', 5, ['session-guarantees']),
      { id: 'Policy', title: '3. Routing pattern?', shape: 'decision', budgetMin: 3 },
      branch('Sticky', 'Sticky sessions', 'Same server routing', ['session-guarantees']),
      branch('RoundRobin', 'Round robin', 'Any server routing', ['session-guarantees']),
      branch('Weighted', 'Weighted', 'Capacity-based routing', ['session-guarantees']),
      branch('Hash', 'Hash-based', 'Deterministic routing', ['session-guarantees']),
      step('Fix', '4. Session consistency fix', 'Restore user experience', 6),
      { id: 'Strategy', title: 'Fix strategy?', shape: 'decision' },
      branch('Replication', '5a. Read from primary / wait for LSN', 'Route a session after its write', [
        'replication-lag',
      ]),
      branch('Cache', '5b. Cache invalidation', 'Selective invalidation'),
      branch('Repair', '5c. Read repair', 'Version reconciliation'),
      step('Validate', '6. Session validation', 'User experience verification', 10),
    ],
    edges: [
      ['Stale', 'Tracing'],
      ['Tracing', 'Routing'],
      ['Routing', 'Policy'],
      ['Policy', 'Sticky'],
      ['Policy', 'RoundRobin'],
      ['Policy', 'Weighted'],
      ['Policy', 'Hash'],
      ['Sticky', 'Fix'],
      ['RoundRobin', 'Fix'],
      ['Weighted', 'Fix'],
      ['Hash', 'Fix'],
      ['Fix', 'Strategy'],
      ['Strategy', 'Replication'],
      ['Strategy', 'Cache'],
      ['Strategy', 'Repair'],
      ['Replication', 'Validate'],
      ['Cache', 'Validate'],
      ['Repair', 'Validate'],
    ],
  };
}

/** The guide has no detailed causal chart; this one follows its 4c step: ordering, dependency chains, skew. */
export function causalChart(): Chart {
  return {
    id: 'causal',
    title: 'Causal consistency analysis',
    nodes: [
      { id: 'Disorder', title: 'Causal consistency issue', detail: 'Effects seen before causes', shape: 'start' },
      step('Ordering', '1. Event ordering', 'Events recorded before their parents', 4, ['causal-order']),
      step('Chains', '2. Dependency chains', 'Parents that do not exist', 3, ['causal-order']),
      step('Skew', '3. Timestamp skew', 'Clock offsets between writers, with error bounds', 3, ['clock-skew']),
      { id: 'Cause', title: 'Cause?', shape: 'decision' },
      branch('ClockCause', '4a. Clock skew', 'Timestamps from skewed clocks', ['clock-skew']),
      branch('OrderCause', '4b. Write ordering', 'Child written before parent committed', ['causal-order']),
      branch('LagCause', '4c. Replica lag', 'Reads from a replica behind the writer', ['replication-lag']),
      step('Repair', '5. Repair order', 'Re-sequence, backfill parents', 10),
      step('Validate', '6. Causal validation', 'Ordering holds under load', 8),
    ],
    edges: [
      ['Disorder', 'Ordering'],
      ['Ordering', 'Chains'],
      ['Chains', 'Skew'],
      ['Skew', 'Cause'],
      ['Cause', 'ClockCause'],
      ['Cause', 'OrderCause'],
      ['Cause', 'LagCause'],
      ['ClockCause', 'Repair'],
      ['OrderCause', 'Repair'],
      ['LagCause', 'Repair'],
      ['Repair', 'Validate'],
    ],
  };
}

/** The id of the host node of the profile's i-th connection. */
export function hostNodeId(index: number): HostNodeId {
  return `Host${index}`;
}

export function allCharts(hosts: HostInfo[]): Chart[] {
  return [overallChart(), eventualChart(hosts), strongChart(), sessionChart(), causalChart()];
}
