/**
 * The sample data of the sandbox and of the runbooks' real-cluster test: what the shipped runbooks query (orders with stored totals and their items,
 * customers, users with versioned profiles, events with parents and times). Healthy on purpose: every
 * inconsistency comes from an injected fault. Every table has a primary key, so logical replication can
 * carry updates and deletes to the `target` copy.
 */
import { REPLICATION_LAG_SQL } from '../core/probes/catalog/replicationLag';
import { SESSION_SQL } from '../core/probes/catalog/sessionGuarantees';

/** The tables, empty: what a logical subscriber needs before it can copy them. */
export const SAMPLE_TABLES_DDL = `
CREATE TABLE customers (
  id int PRIMARY KEY,
  name text NOT NULL,
  email text NOT NULL,
  region text NOT NULL
);
CREATE TABLE orders (
  id int PRIMARY KEY,
  customer_id int NOT NULL REFERENCES customers (id),
  status text NOT NULL,
  total_amount numeric(12,2) NOT NULL,
  created_at timestamptz NOT NULL
);
CREATE TABLE order_items (
  id int PRIMARY KEY,
  order_id int NOT NULL,
  price numeric(12,2) NOT NULL,
  quantity int NOT NULL,
  CONSTRAINT order_items_order_fk FOREIGN KEY (order_id) REFERENCES orders (id)
);
CREATE INDEX order_items_order_id ON order_items (order_id);
CREATE TABLE users (
  id int PRIMARY KEY,
  name text NOT NULL,
  profile_version int NOT NULL,
  profile jsonb NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE TABLE events (
  id int PRIMARY KEY,
  parent_id int REFERENCES events (id),
  kind text NOT NULL,
  created_at timestamptz NOT NULL
);
CREATE INDEX events_parent_id ON events (parent_id);
`;

/** The rows, deterministic: two servers loaded with them hold the same data. */
export const SAMPLE_ROWS = `
INSERT INTO customers
  SELECT g, 'customer ' || g, 'customer' || g || '@example.com',
         (ARRAY['us-east', 'us-west', 'eu-west', 'ap-southeast'])[1 + g % 4]
  FROM generate_series(1, 200) g;
INSERT INTO orders
  SELECT g, 1 + g % 200, (ARRAY['paid', 'shipped', 'delivered'])[1 + g % 3], 0,
         timestamptz '2026-01-01 00:00:00+00' + g * interval '7 minutes'
  FROM generate_series(1, 1000) g;
INSERT INTO order_items
  SELECT g, (g - 1) / 3 + 1, (g % 7) + 0.99, (g % 3) + 1 FROM generate_series(1, 3000) g;
UPDATE orders o SET total_amount = s.total
  FROM (SELECT order_id, sum(price * quantity) AS total FROM order_items GROUP BY order_id) s
  WHERE s.order_id = o.id;
INSERT INTO users
  SELECT g, 'user ' || g, 1, jsonb_build_object('theme', 'light', 'version', 1),
         timestamptz '2026-01-01 00:00:00+00'
  FROM generate_series(1, 100) g;
-- Every tenth event starts a chain; the others follow the one before, a second or more later.
INSERT INTO events
  SELECT g, CASE WHEN g % 10 = 1 THEN NULL ELSE g - 1 END,
         (ARRAY['created', 'paid', 'shipped', 'delivered'])[1 + g % 4],
         timestamptz '2026-01-01 00:00:00+00' + g * interval '1 second'
  FROM generate_series(1, 1000) g;
ANALYZE;
`;

/**
 * The sandbox's schema: the tables, their rows, and the marker tables of the probes that write
 * (session-guarantees, replication-lag marker=yes), created up front on every copy because the sandbox's
 * publication is FOR ALL TABLES and a table the subscriber lacks stops its apply worker.
 */
export const SAMPLE_SCHEMA = `${SAMPLE_TABLES_DDL}${SAMPLE_ROWS}
${SESSION_SQL.create};
${REPLICATION_LAG_SQL.createMarker};
`;

export const SAMPLE_TABLES = ['customers', 'orders', 'order_items', 'users', 'events'] as const;
