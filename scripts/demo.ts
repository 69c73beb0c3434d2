/**
 * The README's first command: starts a throwaway primary and replica, loads an orders schema with a few
 * injected inconsistencies (wrong totals, orphaned items, a replica paused behind the primary), runs the
 * shipped runbook against it with `cnbook run`, and keeps the filled notebook in out/.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startCluster } from '../src/sandbox/throwaway';

const SCHEMA = `
CREATE TABLE orders (id int PRIMARY KEY, status text NOT NULL, total_amount numeric(12,2) NOT NULL);
CREATE TABLE order_items (id int PRIMARY KEY, order_id int NOT NULL, price numeric(12,2) NOT NULL, quantity int NOT NULL);
INSERT INTO orders SELECT g, 'paid', 0 FROM generate_series(1, 1000) g;
INSERT INTO order_items SELECT g, (g - 1) / 3 + 1, (g % 7) + 0.99, (g % 3) + 1 FROM generate_series(1, 3000) g;
UPDATE orders o SET total_amount = s.total FROM (SELECT order_id, sum(price * quantity) AS total FROM order_items GROUP BY order_id) s WHERE s.order_id = o.id;
-- The injected faults: three wrong totals, two orphaned items behind a NOT VALID foreign key.
UPDATE orders SET total_amount = total_amount + 10 WHERE id IN (17, 256, 731);
INSERT INTO order_items VALUES (3001, 5001, 9.99, 1), (3002, 5002, 19.99, 2);
ALTER TABLE order_items ADD CONSTRAINT order_items_order_fk FOREIGN KEY (order_id) REFERENCES orders (id) NOT VALID;
`;

async function main(): Promise<number> {
  const root = path.resolve(__dirname, '..');
  console.log('Starting a throwaway PostgreSQL primary and streaming replica...');
  const cluster = await startCluster({ replicas: 1 });
  try {
    await cluster.primary.query(SCHEMA);
    const replica = cluster.replicas[0]!;
    // A replica that stops replaying, then the primary moves on: the replica serves stale rows.
    await new Promise((r) => setTimeout(r, 500));
    await replica.query('SELECT pg_wal_replay_pause()');
    await cluster.primary.query("UPDATE orders SET status = 'refunded' WHERE id IN (999, 1000)");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnbook-demo-'));
    const connections = path.join(dir, 'connections.json');
    fs.writeFileSync(
      connections,
      JSON.stringify(
        {
          connections: { 'demo-primary': { url: cluster.primary.url }, 'demo-replica': { url: replica.url } },
          profiles: { demo: { primary: 'demo-primary', replicas: ['demo-replica'] } },
        },
        null,
        2,
      ),
    );
    fs.mkdirSync(path.join(root, 'out'), { recursive: true });
    const out = path.join('out', 'orders-vs-items.demo.cnbook');
    const args = [
      path.join(root, 'dist', 'cli.js'),
      'run',
      'runbooks/orders-vs-items.cnbook',
      '--connections',
      connections,
      '--profile',
      'demo',
      '--out',
      out,
    ];
    console.log(`$ cnbook ${args.slice(1).join(' ')}`);
    const result = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
    console.log(`\nThe filled runbook (the incident record) is ${out}: open it in VS Code or any Markdown viewer.`);
    // Exit 1 or 2 means the runbook ran and found the injected faults, which is the point of the demo.
    if (result.status === 1 || result.status === 2)
      console.log(`cnbook exited ${result.status}: it found the faults injected above.`);
    return result.status !== null && result.status <= 2 ? 0 : 3;
  } finally {
    await cluster.destroy();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`demo failed: ${(error as Error).message}`);
    process.exitCode = 3;
  },
);
