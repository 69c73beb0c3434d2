import type { Finding } from '../probes/types';
import type { ClusterNode } from './identity';

/** A WAL position (`16/B374D848`) as a number that orders positions (exact up to 2^53 bytes). */
export function lsnValue(lsn: string): number | null {
  const match = /^([0-9A-F]+)\/([0-9A-F]+)$/i.exec(lsn);
  return match ? parseInt(match[1] ?? '0', 16) * 2 ** 32 + parseInt(match[2] ?? '0', 16) : null;
}

/**
 * Members of one cluster left on an older timeline than the primary's (an old primary after a failover):
 * where their timeline forked (from the primary's timeline history), and whether their WAL goes past the
 * fork, which means writes that exist only there.
 */
export function timelineFindings(nodes: readonly ClusterNode[], primary: ClusterNode | undefined): Finding[] {
  const reference = primary ?? newest(nodes);
  const timeline = reference?.facts.timeline;
  if (!reference || timeline === null || timeline === undefined) return [];
  return nodes
    .filter((n) => n !== reference && n.facts.systemIdentifier === reference.facts.systemIdentifier)
    .filter((n) => n.facts.timeline !== null && n.facts.timeline < timeline)
    .map((n) => forkFinding(n, reference));
}

function newest(nodes: readonly ClusterNode[]): ClusterNode | undefined {
  return [...nodes].sort((a, b) => (b.facts.timeline ?? 0) - (a.facts.timeline ?? 0))[0];
}

function forkFinding(node: ClusterNode, reference: ClusterNode): Finding {
  const { timeline, walLsn } = node.facts;
  const fork = reference.facts.timelineHistory?.find((f) => f.parent === timeline);
  const forkAt = fork ? lsnValue(fork.forkLsn) : null;
  const reached = walLsn ? lsnValue(walLsn) : null;
  const pastFork = forkAt !== null && reached !== null && reached > forkAt;
  const where = fork
    ? `forked from timeline ${timeline} at ${fork.forkLsn}`
    : `fork position not readable: ${reference.facts.timelineHistoryUnreadable ?? 'no history line for it'}`;
  const only = pastFork
    ? `; ${node.name}'s WAL reaches ${walLsn}, past the fork: ` +
      `writes after ${fork?.forkLsn} may exist only on ${node.name}`
    : '';
  return {
    probe: 'topology',
    target: node.name,
    connection: node.connections[0]?.name ?? node.name,
    severity: pastFork ? 'critical' : 'warning',
    summary:
      `timeline fork: ${node.name} is on timeline ${timeline}, ${reference.name} on ` +
      `${reference.facts.timeline} (${where})${only}`,
    deviating: [node.connections[0]?.name ?? node.name],
    metrics: {
      timelineFork: true,
      pastFork,
      timeline,
      referenceTimeline: reference.facts.timeline,
      forkLsn: fork?.forkLsn ?? null,
      walLsn,
    },
  };
}
