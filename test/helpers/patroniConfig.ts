/**
 * The Patroni rig's configuration files: one Patroni YAML per node (written as JSON, which YAML reads), and
 * HAProxy's, with a read-write frontend checked by GET /primary and a round-robin one checked by GET /replica.
 */

export const PG15_BIN = '/usr/lib/postgresql/15/bin';
export const RIG_SCOPE = 'cnbook-rig';

export interface NodePorts {
  name: string;
  pgPort: number;
  apiPort: number;
}

// Short ttl and loop so that a failover settles in seconds (ttl >= loop_wait + 2 * retry_timeout).
const DCS = {
  ttl: 20,
  loop_wait: 2,
  retry_timeout: 5,
  // Fail over when the leader's postmaster dies, instead of restarting it in place.
  master_start_timeout: 0,
  maximum_lag_on_failover: 1048576,
  postgresql: {
    use_pg_rewind: true,
    use_slots: true,
    parameters: {
      wal_level: 'replica',
      hot_standby: 'on',
      wal_log_hints: 'on',
      max_wal_senders: 10,
      max_replication_slots: 10,
      max_connections: 40,
      max_prepared_transactions: 10,
      wal_keep_size: '64MB',
    },
  },
};

export function patroniConfig(node: NodePorts, etcdPort: number, dir: string): string {
  const config = {
    scope: RIG_SCOPE,
    name: node.name,
    log: { dir: `${dir}/log-${node.name}`, level: 'INFO' },
    restapi: { listen: `127.0.0.1:${node.apiPort}`, connect_address: `127.0.0.1:${node.apiPort}` },
    etcd3: { hosts: [`127.0.0.1:${etcdPort}`] },
    bootstrap: {
      dcs: DCS,
      initdb: [{ encoding: 'UTF8' }, 'no-locale', 'no-sync'],
      pg_hba: ['local all all trust', 'host all all 127.0.0.1/32 trust', 'host replication all 127.0.0.1/32 trust'],
    },
    postgresql: {
      listen: `127.0.0.1:${node.pgPort}`,
      connect_address: `127.0.0.1:${node.pgPort}`,
      data_dir: `${dir}/data-${node.name}`,
      bin_dir: PG15_BIN,
      pgpass: `${dir}/pgpass-${node.name}`,
      authentication: {
        superuser: { username: 'postgres', password: 'rig' },
        replication: { username: 'postgres', password: 'rig' },
      },
      parameters: {
        unix_socket_directories: dir,
        shared_buffers: '16MB',
        fsync: 'off',
        synchronous_commit: 'off',
        full_page_writes: 'on',
      },
    },
    tags: { nofailover: false, noloadbalance: false, clonefrom: false, nosync: false },
  };
  return JSON.stringify(config, null, 2) + '\n';
}

export function haproxyConfig(nodes: NodePorts[], rwPort: number, roPort: number): string {
  const servers = nodes.map((n) => `  server ${n.name} 127.0.0.1:${n.pgPort} check port ${n.apiPort}`);
  const listen = (name: string, port: number, check: string, extra: string[]) => [
    `listen ${name}`,
    `  bind 127.0.0.1:${port}`,
    ...extra,
    `  option httpchk GET ${check}`,
    '  http-check expect status 200',
    // Checked every half second; a backend whose role changed is out within a second, its sessions cut.
    '  default-server inter 500ms fall 2 rise 1 on-marked-down shutdown-sessions',
    ...servers,
  ];
  return (
    [
      'global',
      '  maxconn 200',
      'defaults',
      '  mode tcp',
      '  timeout connect 2s',
      '  timeout client 10m',
      '  timeout server 10m',
      '  timeout check 2s',
      ...listen('rw', rwPort, '/primary', []),
      ...listen('ro', roPort, '/replica', ['  balance roundrobin']),
    ].join('\n') + '\n'
  );
}
