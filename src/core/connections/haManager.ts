/**
 * What an HA manager (Patroni's REST API `/cluster`, later others) says about a cluster, as typed facts.
 * A driver fetches it; discovery in core weighs it against what each server says of itself.
 */
export interface HaManagerView {
  /** Which manager, for messages and provenance ("patroni"). */
  manager: 'patroni';
  /** The address the view was read from (no credentials). */
  source: string;
  /** When the view was read (ISO 8601). */
  readAt: string;
  /** Maintenance mode: the manager will neither fail over nor undo manual changes (e.g. a paused replay). */
  maintenance: boolean;
  members: HaMember[];
}

export type HaMemberRole = 'leader' | 'standby_leader' | 'replica' | 'sync_standby' | 'other';

export interface HaMember {
  /** The manager's name for the member (Patroni `name`). */
  name: string;
  host: string;
  port: number;
  role: HaMemberRole;
  /** The manager's state word as given ("running", "streaming", "stopped", "starting", ...). */
  state: string;
  /** Whether the manager reports PostgreSQL as up on that member (derived from state, typed for core). */
  running: boolean;
  timeline?: number;
  /** Replication lag in bytes as the manager reports it (Patroni: received, not replayed, WAL). */
  lagBytes?: number;
  /** The member's own REST API (Patroni `api_url`), where the manager gives it. */
  apiUrl?: string;
}

/** Where roles come from in a profile that does not declare them all. */
export interface DiscoverySource {
  /** Connection names whose roles are found at run time. */
  members?: string[];
  /** Patroni REST API base URLs (any member's; the first that answers is used). */
  patroni?: string[];
}
