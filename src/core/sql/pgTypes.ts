/** Names of PostgreSQL's built-in type OIDs (pg_type), so results can say what a column holds. */
const TYPE_NAMES: Record<number, string> = {
  16: 'bool',
  17: 'bytea',
  18: 'char',
  19: 'name',
  20: 'int8',
  21: 'int2',
  23: 'int4',
  25: 'text',
  26: 'oid',
  114: 'json',
  142: 'xml',
  700: 'float4',
  701: 'float8',
  790: 'money',
  869: 'inet',
  650: 'cidr',
  829: 'macaddr',
  1042: 'bpchar',
  1043: 'varchar',
  1082: 'date',
  1083: 'time',
  1114: 'timestamp',
  1184: 'timestamptz',
  1186: 'interval',
  1266: 'timetz',
  1560: 'bit',
  1562: 'varbit',
  1700: 'numeric',
  2950: 'uuid',
  3220: 'pg_lsn',
  3802: 'jsonb',
  28: 'xid',
  5069: 'xid8',
  2249: 'record',
  2278: 'void',
  1000: 'bool[]',
  1005: 'int2[]',
  1007: 'int4[]',
  1016: 'int8[]',
  1009: 'text[]',
  1015: 'varchar[]',
  1021: 'float4[]',
  1022: 'float8[]',
  1231: 'numeric[]',
  1115: 'timestamp[]',
  1185: 'timestamptz[]',
  2951: 'uuid[]',
  3807: 'jsonb[]',
  1028: 'oid[]',
  194: 'pg_node_tree',
  3614: 'tsvector',
  2205: 'regclass',
  24: 'regproc',
  2206: 'regtype',
};

const NUMERIC = new Set(['int2', 'int4', 'int8', 'float4', 'float8', 'numeric', 'oid', 'money', 'xid', 'xid8']);

export function typeName(oid: number): string {
  return TYPE_NAMES[oid] ?? `oid ${oid}`;
}

/** Whether values of a type sort and align as numbers in a result table. */
export function isNumericType(name: string): boolean {
  return NUMERIC.has(name);
}
