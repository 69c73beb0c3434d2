import type { DiscoverySource } from './haManager';
import type { HostPort, TargetSessionAttrs } from './multiHost';

/** Connection definitions as written in the `cnbook.connections` setting or a connections JSON file. */
export interface ConnectionSpec {
  url?: string;
  service?: string;
  /** One host, or libpq's list `h1,h2` (tried in order, see target_session_attrs). */
  host?: string;
  /** One port, or one per host as libpq writes them (`5432,5433`). */
  port?: number | string;
  /** libpq's target_session_attrs: which listed host the session settles on (default any). */
  target_session_attrs?: TargetSessionAttrs;
  database?: string;
  user?: string;
  sslmode?: SslMode;
  /** TLS files as libpq names them: CA bundle (or `system`), client certificate and key, revocation list. */
  sslrootcert?: string;
  sslcert?: string;
  sslkey?: string;
  sslcrl?: string;
  /** Writes are refused on a connection unless it says so (and the cell says `-- @write`). */
  allowWrites?: boolean;
  /** Free text shown next to the name, e.g. "eu-west-1 replica". */
  label?: string;
  /** Accepted only to warn about it: passwords belong in ~/.pgpass, PGPASSWORD or SecretStorage. */
  password?: string;
}

export type SslMode = 'disable' | 'allow' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';
export const SSL_MODES: readonly SslMode[] = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'];

/** A profile maps runbook roles (primary, replicas, source, ...) to connection names. */
export type Profile = Record<string, string | string[]>;

export interface ConnectionsConfig {
  connections: Record<string, ConnectionSpec>;
  profiles: Record<string, Profile>;
  /** Per profile, where the roles it does not declare are found at run time (its `discover` key). */
  discovery?: Record<string, DiscoverySource>;
  /** Who to escalate to per consistency type (eventual, strong, session, causal): team handles. */
  escalation?: Record<string, string>;
}

/** A connection with every libpq parameter settled, ready for a driver. Holds no password. */
export interface ResolvedConnection {
  name: string;
  host: string;
  port: number;
  database: string;
  user: string;
  sslmode: SslMode;
  allowWrites: boolean;
  label?: string;
  /** Where the password will come from, for messages ("password from ~/.pgpass"). */
  passwordSource: 'pgpass' | 'environment' | 'secret-storage' | 'none';
  /** The pgpass file looked in, as messages name it: PGPASSFILE when set, else ~/.pgpass. */
  pgpassFile?: string;
  /** The TLS files libpq would use; absent on connections made by hand (tests), which then use none. */
  tls?: TlsFiles;
  /** Things the user should hear about how this connection is written (never a secret). */
  warnings?: string[];
  /** The node (by its own connection's name) that answered behind this one, when that is another server. */
  answeredBy?: string;
  /** One backend of a round-robin endpoint: the endpoint's connection name (this one is `lb-ro → pg3`). */
  endpoint?: string;
  /** Every host listed, in order, when more than one (host and port above are the first). */
  hosts?: HostPort[];
  /** Absent: any. */
  targetSessionAttrs?: TargetSessionAttrs;
}

/** Every path settled (parameter, then PG* variable, then libpq's ~/.postgresql default); files may not exist. */
export interface TlsFiles {
  /** The CA certificates that verify the server: a file, or 'system' for the platform's trust store. */
  rootCert: string;
  cert: string;
  key: string;
  crl: string;
}

/** A role of the active profile bound to its connections. */
export interface RoleBinding {
  role: string;
  connections: ResolvedConnection[];
  /** How the role was known: the profile said so, the servers did, or the HA manager listed the member. */
  source?: RoleSource;
  /** The connections bound to this role whose server does not have it now (a declared primary that is a standby). */
  misbound?: string[];
}

export type RoleSource = 'declared' | 'found' | 'ha-manager';

/** What the core needs from its surroundings to resolve connections; injected so the core stays pure. */
export interface ConnectionEnvironment {
  env: Record<string, string | undefined>;
  homeDir: string;
  osUser: string;
  /** Returns a file's text, or undefined if it does not exist. */
  readTextFile(path: string): string | undefined;
  /** File mode bits, for the ~/.pgpass permission check libpq also makes. */
  fileMode?(path: string): number | undefined;
}

export class ConnectionConfigError extends Error {
  constructor(
    readonly where: string,
    message: string,
  ) {
    super(`${where}: ${message}`);
    this.name = 'ConnectionConfigError';
  }
}
