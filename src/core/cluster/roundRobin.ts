import type { ResolvedConnection } from '../connections/model';
import type { SessionPool } from '../sql/sessionPool';
import { reachesDirectly, serverIdentity } from './identity';
import { fetchServerFacts, type FactsOptions, type MemberFacts, type ServerFacts } from './serverFacts';

export interface SampledMembers {
  /** The members, each round-robin endpoint replaced by one member per backend seen through it. */
  members: MemberFacts[];
  warnings: string[];
}

/** Samples after this many sessions in a row that reached no backend not seen before: one backend, or all seen. */
const REPEATS_TO_STOP = 2;

/**
 * A proxy port may hand each new session to another backend (HAProxy's roundrobin): one session sees one of
 * them, half the time the healthy one. Every member reached through a proxy is asked again in new sessions
 * until each server of its kind (same system, same recovery state) is seen, two sessions in a row add no
 * new one, or 2×members+2 sessions were opened. An endpoint that answered from more than one server becomes
 * one member per backend, named `lb-ro → pg3`, keeping the session that reached it for the cells.
 */
export async function sampleRoundRobin(
  pool: SessionPool,
  members: readonly MemberFacts[],
  options: FactsOptions,
): Promise<SampledMembers> {
  const limit = 2 * members.length + 2;
  const warnings: string[] = [];
  const out: MemberFacts[] = [];
  for (const member of members) {
    const { facts } = member;
    if (!facts || reachesDirectly(member.connection, facts) || member.connection.endpoint) {
      out.push(member);
      continue;
    }
    const kind = members.filter((m) => m.facts && sameKind(m.facts, facts) && reachesDirectly(m.connection, m.facts));
    const seen = await sample(pool, member, kind, limit, options);
    if (seen.length === 1) {
      out.push(member);
      continue;
    }
    out.push(...asBackends(pool, member.connection, seen, members));
    const missed = kind.filter((k) => !seen.some((s) => sameServer(s, k)));
    if (missed.length > 0)
      warnings.push(
        `${member.connection.name} hands sessions to several servers: ${seen.length} seen, ` +
          `${missed.map((m) => m.connection.name).join(', ')} not reached through it`,
      );
  }
  return { members: out, warnings };
}

async function sample(
  pool: SessionPool,
  first: MemberFacts,
  kind: readonly MemberFacts[],
  limit: number,
  options: FactsOptions,
): Promise<MemberFacts[]> {
  const seen: MemberFacts[] = [first];
  let repeats = 0;
  for (let n = 1; n < limit && repeats < REPEATS_TO_STOP; n++) {
    if (kind.length > 0 && kind.every((k) => seen.some((s) => sameServer(s, k)))) break;
    const connection = { ...first.connection, name: `${first.connection.name}#${n}` };
    const [answer] = await fetchServerFacts(pool, [connection], options);
    if (!answer?.facts || seen.some((s) => sameServer(s, answer))) {
      repeats++;
      await pool.discard(connection);
      continue;
    }
    repeats = 0;
    seen.push(answer);
  }
  return seen;
}

/** Each backend as its own member, its session moved under the name findings and provenance show. */
function asBackends(
  pool: SessionPool,
  endpoint: ResolvedConnection,
  seen: readonly MemberFacts[],
  members: readonly MemberFacts[],
): MemberFacts[] {
  return seen.map((answer) => {
    const facts = answer.facts as ServerFacts;
    const direct = members.find((m) => m.facts && reachesDirectly(m.connection, m.facts) && sameServer(m, answer));
    const backend = direct?.connection.name ?? `${facts.serverAddress ?? 'socket'}:${facts.serverPort ?? '?'}`;
    const connection: ResolvedConnection = {
      ...endpoint,
      name: `${endpoint.name} → ${backend}`,
      endpoint: endpoint.name,
    };
    pool.rename(answer.connection.name, connection.name);
    return { connection, facts };
  });
}

function sameKind(a: ServerFacts, b: ServerFacts): boolean {
  return a.systemIdentifier === b.systemIdentifier && a.inRecovery === b.inRecovery;
}

function sameServer(a: MemberFacts, b: MemberFacts): boolean {
  return !!a.facts && !!b.facts && serverIdentity(a.facts) === serverIdentity(b.facts);
}
