/**
 * Patroni's REST API as a source of an HA manager's view: GET /cluster on each given URL in turn until one
 * answers, each attempt bounded (connect and body together), every failure named with its URL. Turning
 * Patroni's JSON into typed facts is wire-format knowledge and lives here; what the facts mean is core's.
 */
import type { DiscoverySource, HaManagerView, HaMember, HaMemberRole } from '../core/connections/haManager';

export const PATRONI_TIMEOUT_MS = 3000;

export interface PatroniReadOptions {
  /** Per URL, for the whole request (connect, headers, body). */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** For provenance; defaults to the clock. */
  now?: () => Date;
}

export class PatroniUnavailableError extends Error {
  constructor(readonly attempts: { url: string; reason: string }[]) {
    super(
      attempts.length === 0
        ? 'no Patroni REST API URL given'
        : `no Patroni REST API answered: ${attempts.map((a) => `${a.url}: ${a.reason}`).join('; ')}`,
    );
    this.name = 'PatroniUnavailableError';
  }
}

/** Reads /cluster from the first of `urls` that answers with a member list. */
export async function readPatroniView(
  urls: readonly string[],
  options: PatroniReadOptions = {},
): Promise<HaManagerView> {
  const attempts: { url: string; reason: string }[] = [];
  for (const url of urls) {
    const source = clusterUrl(url);
    if (options.signal?.aborted) break;
    try {
      const body = await getJson(source, options.timeoutMs ?? PATRONI_TIMEOUT_MS, options.signal);
      return patroniView(body, source, (options.now ?? (() => new Date()))());
    } catch (error) {
      attempts.push({ url: source, reason: (error as Error).message });
    }
  }
  throw new PatroniUnavailableError(attempts);
}

/** The shape bindProfile's `readHaView` takes. */
export function readHaViewFromPatroni(options: PatroniReadOptions = {}) {
  return (source: DiscoverySource): Promise<HaManagerView> => readPatroniView(source.patroni ?? [], options);
}

/** `http://host:8008` or `http://host:8008/cluster` → `http://host:8008/cluster`, credentials dropped. */
export function clusterUrl(base: string): string {
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    return base;
  }
  url.username = '';
  url.password = '';
  const path = url.pathname.replace(/\/+$/, '');
  url.pathname = path.endsWith('/cluster') ? path : `${path}/cluster`;
  return url.toString();
}

async function getJson(url: string, timeoutMs: number, signal?: AbortSignal): Promise<unknown> {
  if (!/^https?:\/\//.test(url)) throw new Error('not an http(s) URL');
  const timeout = AbortSignal.timeout(timeoutMs);
  const bounded = signal ? AbortSignal.any([signal, timeout]) : timeout;
  let text: string;
  try {
    const response = await fetch(url, { signal: bounded, headers: { accept: 'application/json' } });
    text = await response.text();
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
  } catch (error) {
    if (timeout.aborted) throw new Error(`no answer within ${timeoutMs} ms`);
    if (signal?.aborted) throw new Error('stopped');
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new Error(cause?.code ?? cause?.message ?? (error as Error).message);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new Error('the answer is not JSON');
  }
}

type Json = Record<string, unknown>;

/** Patroni's /cluster JSON (3.x) as an HaManagerView; throws when it is not one. */
export function patroniView(body: unknown, source: string, readAt: Date): HaManagerView {
  const members = (body as Json | null)?.members;
  if (!Array.isArray(members)) throw new Error('the answer has no "members" list (is this a Patroni REST API?)');
  return {
    manager: 'patroni',
    source,
    readAt: readAt.toISOString(),
    maintenance: (body as Json).pause === true,
    members: members.map((m: unknown, i) => patroniMember(m, i)),
  };
}

const ROLES: Record<string, HaMemberRole> = {
  leader: 'leader',
  // Patroni 3.x names a leader "primary" in some places and "master" in 2.x.
  primary: 'leader',
  master: 'leader',
  standby_leader: 'standby_leader',
  replica: 'replica',
  sync_standby: 'sync_standby',
};
const RUNNING_STATES = ['running', 'streaming', 'in archive recovery'];

function patroniMember(raw: unknown, index: number): HaMember {
  const m = (raw ?? {}) as Json;
  const name = typeof m.name === 'string' ? m.name : undefined;
  const host = typeof m.host === 'string' ? m.host : undefined;
  const port = typeof m.port === 'number' ? m.port : undefined;
  if (name === undefined || host === undefined || port === undefined)
    throw new Error(`member ${index + 1} lacks a name, host or port`);
  const state = typeof m.state === 'string' ? m.state : 'unknown';
  const member: HaMember = {
    name,
    host,
    port,
    role: ROLES[String(m.role)] ?? 'other',
    state,
    running: RUNNING_STATES.includes(state),
  };
  if (typeof m.timeline === 'number') member.timeline = m.timeline;
  // Bytes in the REST API ("unknown" when Patroni cannot tell); patronictl shows the same as MB.
  if (typeof m.lag === 'number') member.lagBytes = m.lag;
  if (typeof m.api_url === 'string') member.apiUrl = m.api_url;
  return member;
}
