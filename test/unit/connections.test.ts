import { describe, expect, it } from 'vitest';
import {
  ConnectionEnvironment,
  findPgpassPassword,
  lookupPassword,
  parseConnectionsFile,
  parsePgpass,
  parsePostgresUrl,
  parseServiceFile,
  redactSecrets,
  redactValues,
  secretParamValues,
  resolveConnection,
  resolveProfile,
} from '../../src/core/connections';

function environment(
  files: Record<string, string> = {},
  env: Record<string, string> = {},
  modes: Record<string, number> = {},
): ConnectionEnvironment {
  return {
    env,
    homeDir: '/home/oncall',
    osUser: 'oncall',
    readTextFile: (p) => files[p],
    fileMode: (p) => modes[p] ?? 0o600,
  };
}

const config = parseConnectionsFile(
  JSON.stringify({
    connections: {
      main: { url: 'postgres://app@db1.internal:5433/shop?sslmode=require', allowWrites: true },
      r1: { host: 'db2.internal', port: 5432, database: 'shop', user: 'app' },
      r2: { service: 'replica2' },
    },
    profiles: { prod: { primary: 'main', replicas: ['r1', 'r2'] } },
  }),
  'conn.json',
).config;

describe('connections file', () => {
  it('accepts URLs, parameter objects and service names', () => {
    expect(Object.keys(config.connections)).toEqual(['main', 'r1', 'r2']);
    expect(config.profiles.prod).toEqual({ primary: 'main', replicas: ['r1', 'r2'] });
  });

  it('names the place of a typo and suggests the key', () => {
    expect(() => parseConnectionsFile('{"connections":{"a":{"hots":"x"}}}', 'c.json')).toThrow(
      /c.json: connections.a: unknown key "hots" \(did you mean 'host'\?\)/,
    );
    expect(() => parseConnectionsFile('{"conections":{}}', 'c.json')).toThrow(/did you mean 'connections'/);
    expect(() => parseConnectionsFile('{"connections":{"a":{"port":"5432"}}}', 'c.json')).toThrow(
      /port must be a whole number/,
    );
    expect(() => parseConnectionsFile('{ not json', 'c.json')).toThrow(/c.json: not valid JSON/);
  });

  it('rejects a profile that names an unknown connection', () => {
    const text = JSON.stringify({ connections: { main: { host: 'a' } }, profiles: { p: { primary: 'mian' } } });
    expect(() => parseConnectionsFile(text, 'c.json')).toThrow(
      /profiles.p.primary: unknown connection "mian" \(did you mean 'main'\?\)/,
    );
  });

  it('warns about a written password, drops it, and points to ~/.pgpass', () => {
    const text = JSON.stringify({
      connections: { a: { url: 'postgres://u:hunter2@h/db' }, b: { host: 'h', password: 's3cret' } },
    });
    const { config: c, warnings } = parseConnectionsFile(text, 'c.json');
    expect(warnings).toHaveLength(2);
    expect(warnings.join('\n')).toMatch(/~\/\.pgpass/);
    expect(warnings.join('\n')).not.toMatch(/hunter2|s3cret/);
    expect(JSON.stringify(c.connections.b)).not.toMatch(/s3cret/);
    const resolved = resolveConnection('a', c.connections.a!, environment());
    expect(JSON.stringify(resolved)).not.toMatch(/hunter2/);
  });
});

describe('resolving connections', () => {
  it('merges URL parameters and libpq defaults', () => {
    const main = resolveConnection('main', config.connections.main!, environment());
    expect(main).toMatchObject({
      host: 'db1.internal',
      port: 5433,
      database: 'shop',
      user: 'app',
      sslmode: 'require',
      allowWrites: true,
    });
    const bare = resolveConnection('bare', {}, environment({}, { PGHOST: 'envhost', PGPORT: '6000' }));
    expect(bare).toMatchObject({
      host: 'envhost',
      port: 6000,
      user: 'oncall',
      database: 'oncall',
      sslmode: 'prefer',
      allowWrites: false,
    });
  });

  it('reads services from pg_service.conf', () => {
    const files = {
      '/home/oncall/.pg_service.conf': '# comment\n[replica2]\nhost=db3.internal\nport=5544\ndbname=shop\nuser=ro\n',
    };
    expect(resolveConnection('r2', { service: 'replica2' }, environment(files))).toMatchObject({
      host: 'db3.internal',
      port: 5544,
      database: 'shop',
      user: 'ro',
    });
    expect(() => resolveConnection('r2', { service: 'nope' }, environment(files))).toThrow(/service "nope" not found/);
  });

  it('binds roles of a profile, and names missing roles', () => {
    const files = { '/home/oncall/.pg_service.conf': '[replica2]\nhost=db3\n' };
    const bindings = resolveProfile(config, 'prod', ['primary', 'replicas'], environment(files));
    expect(bindings.get('replicas')?.connections.map((c) => c.name)).toEqual(['r1', 'r2']);
    expect(() => resolveProfile(config, 'prod', ['primary', 'replica'], environment(files))).toThrow(
      /no connection for role "replica".*did you mean 'replicas'/,
    );
    expect(() => resolveProfile(config, 'prd', [], environment(files))).toThrow(
      /profile "prd": not defined \(did you mean 'prod'\?\)/,
    );
  });
});

describe('passwords', () => {
  const target = { host: 'db1.internal', port: 5433, database: 'shop', user: 'app' };
  it('matches ~/.pgpass lines with wildcards and escapes, first match wins', () => {
    const entries = parsePgpass('# c\nother:*:*:*:nope\ndb1.internal:5433:shop:app:pa\\:ss\n*:*:*:app:fallback\n');
    expect(findPgpassPassword(entries, target)).toBe('pa:ss');
    expect(findPgpassPassword(entries, { ...target, host: 'x' })).toBe('fallback');
  });

  it('prefers PGPASSWORD, ignores a pgpass file others can read', () => {
    const conn = resolveConnection('main', config.connections.main!, environment());
    const files = { '/home/oncall/.pgpass': '*:*:*:*:frompgpass\n' };
    expect(lookupPassword(conn, environment(files, { PGPASSWORD: 'fromenv' }))).toEqual({
      password: 'fromenv',
      source: 'environment',
    });
    expect(lookupPassword(conn, environment(files))).toEqual({ password: 'frompgpass', source: 'pgpass' });
    expect(lookupPassword(conn, environment(files, {}, { '/home/oncall/.pgpass': 0o644 }))).toEqual({ source: 'none' });
  });

  it('redacts passwords from any text', () => {
    expect(redactSecrets('could not connect to postgres://app:hunter2@db/x')).toBe(
      'could not connect to postgres://app:***@db/x',
    );
    expect(redactSecrets("host=db password='a b' user=x")).toBe('host=db password=*** user=x');
    expect(redactSecrets('{"password":"hunter2"}')).toBe('{"password":"***"}');
  });

  it('parses URLs and drops their passwords', () => {
    expect(parsePostgresUrl('postgresql://u:p@h:1/d', 'x')).toEqual({
      spec: { host: 'h', port: 1, database: 'd', user: 'u' },
      hadPassword: true,
    });
    expect(() => parsePostgresUrl('mysql://h/d', 'x')).toThrow(/scheme/);
    expect(parseServiceFile('[a]\nhost = h\n[b]\nport=1')).toEqual({ a: { host: 'h' }, b: { port: '1' } });
  });
});

describe('secret-named parameters', () => {
  it('picks the values of names that say they hold a secret, not the others or empty ones', () => {
    const params = { api_password: 'p1', db_token: 't1', apiKey: 'k1', status: 'paid', client_secret: '' };
    expect(secretParamValues(params)).toEqual(['p1', 't1', 'k1']);
  });

  it('replaces every occurrence, a longer secret before one it contains', () => {
    expect(redactValues('bad "abc-abcd" and abc', ['abc', 'abc-abcd'])).toBe('bad "***" and ***');
    expect(redactValues('nothing to hide', [])).toBe('nothing to hide');
  });
});
