import { describe, expect, it } from 'vitest';
import {
  ConnectionEnvironment,
  FileFacts,
  findPgpassPassword,
  planTls,
  TlsSetupError,
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
      passwordPlaces: ['url-userinfo'],
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

describe('passwords written where cnbook does not read them', () => {
  const secret = 'hunter2-do-not-print';
  const services = { '/home/oncall/.pg_service.conf': `[svc]\nhost=db\npassword=${secret}\n` };

  it('gets one warning per place, each naming the place, never the value', () => {
    const text = JSON.stringify({
      connections: {
        userinfo: { url: `postgres://u:${secret}@h/db` },
        query: { url: `postgres://u@h/db?password=${secret}` },
        asString: `postgresql://h/db?sslmode=require&password=${secret}`,
        key: { host: 'h', password: secret },
        service: { service: 'svc' },
      },
    });
    const { config: c, warnings } = parseConnectionsFile(text, 'c.json');
    expect(warnings).toEqual([
      expect.stringMatching(/connections\.userinfo: holds a password in its URL \(user:password@\)/),
      expect.stringMatching(/connections\.query: holds a password in its URL \(\?password=\)/),
      expect.stringMatching(/connections\.asString: holds a password in its URL \(\?password=\)/),
      expect.stringMatching(/connections\.key: holds a password in its "password" key/),
    ]);
    const resolved = resolveConnection('service', c.connections.service!, environment(services));
    expect(resolved.warnings).toEqual([
      expect.stringMatching(
        /connection "service" \(\/home\/oncall\/\.pg_service\.conf \[svc\]\): holds a password in its pg_service\.conf/,
      ),
    ]);
    const all = [...warnings, ...resolved.warnings!].join('\n');
    expect(all).not.toContain(secret);
    expect(all.match(/which cnbook ignores\. Put it in ~\/\.pgpass/g)).toHaveLength(5);
  });

  it('names the pgpass file in use when PGPASSFILE is set, in warnings and in the login hint', () => {
    const env = environment(services, { PGPASSFILE: '/etc/cnbook/pgpass' });
    const resolved = resolveConnection('service', { service: 'svc' }, env);
    expect(resolved.pgpassFile).toBe('/etc/cnbook/pgpass');
    expect(resolved.warnings?.[0]).toMatch(/Put it in \/etc\/cnbook\/pgpass \(/);
    const text = JSON.stringify({ connections: { key: { host: 'h', password: secret } } });
    expect(parseConnectionsFile(text, 'c.json', '/etc/cnbook/pgpass').warnings[0]).toMatch(/in \/etc\/cnbook\/pgpass/);
  });
});

describe('TLS files, resolved as libpq does', () => {
  const home = '/home/oncall/.postgresql';

  it('takes the parameter, then PG* variables, then ~/.postgresql defaults', () => {
    expect(resolveConnection('d', { host: 'h' }, environment()).tls).toEqual({
      rootCert: `${home}/root.crt`,
      cert: `${home}/postgresql.crt`,
      key: `${home}/postgresql.key`,
      crl: `${home}/root.crl`,
    });
    const env = {
      PGSSLROOTCERT: '/env/ca.crt',
      PGSSLCERT: '/env/c.crt',
      PGSSLKEY: '/env/c.key',
      PGSSLCRL: '/env/x.crl',
    };
    expect(resolveConnection('e', { host: 'h' }, environment({}, env)).tls).toEqual({
      rootCert: '/env/ca.crt',
      cert: '/env/c.crt',
      key: '/env/c.key',
      crl: '/env/x.crl',
    });
    const url =
      'postgres://h/db?sslmode=verify-full&sslrootcert=/u/ca.crt&sslcert=/u/c.crt&sslkey=/u/c.key&sslcrl=/u/r.crl';
    expect(resolveConnection('u', { url }, environment({}, env)).tls).toEqual({
      rootCert: '/u/ca.crt',
      cert: '/u/c.crt',
      key: '/u/c.key',
      crl: '/u/r.crl',
    });
    const files = { '/home/oncall/.pg_service.conf': '[s]\nhost=h\nsslrootcert=/s/ca.crt\nsslkey=/s/k\n' };
    expect(resolveConnection('s', { service: 's', sslkey: '/spec/k' }, environment(files, env)).tls).toMatchObject({
      rootCert: '/s/ca.crt',
      cert: '/env/c.crt',
      key: '/spec/k',
    });
  });

  it('accepts the TLS keys in a connections file and refuses a misspelt one', () => {
    const ok = JSON.stringify({
      connections: { a: { host: 'h', sslrootcert: '/ca.crt', sslcert: '/c', sslkey: '/k' } },
    });
    expect(parseConnectionsFile(ok, 'c.json').config.connections.a).toMatchObject({ sslrootcert: '/ca.crt' });
    const typo = JSON.stringify({ connections: { a: { host: 'h', sslrootcrt: '/ca.crt' } } });
    expect(() => parseConnectionsFile(typo, 'c.json')).toThrow(
      /unknown key "sslrootcrt" \(did you mean 'sslrootcert'\?\)/,
    );
  });

  it('with sslrootcert=system defaults to verify-full and refuses a weaker sslmode', () => {
    expect(resolveConnection('a', { url: 'postgres://h/db?sslrootcert=system' }, environment()).sslmode).toBe(
      'verify-full',
    );
    expect(() =>
      resolveConnection('b', { host: 'h', sslmode: 'require' }, environment({}, { PGSSLROOTCERT: 'system' })),
    ).toThrow(/sslmode "require" may not be used with sslrootcert=system \(use "verify-full"\)/);
  });
});

describe('TLS plan (libpq rules)', () => {
  const files = { rootCert: '/t/root.crt', cert: '/t/c.crt', key: '/t/c.key', crl: '/t/root.crl' };
  const file = (mode = 0o600, uid = 1000): FileFacts => ({ isFile: true, mode, uid });
  const only = (present: Record<string, FileFacts>) => (path: string) => present[path];

  it('verifies what sslmode asks, and the chain whenever a root certificate exists', () => {
    const withRoot = only({ '/t/root.crt': file(0o644) });
    expect(planTls('verify-full', files, withRoot)).toEqual({ trust: '/t/root.crt', verifyHostName: true });
    expect(planTls('verify-ca', files, withRoot)).toEqual({ trust: '/t/root.crt', verifyHostName: false });
    expect(planTls('require', files, withRoot)).toEqual({ trust: '/t/root.crt', verifyHostName: false });
    expect(planTls('require', files, only({}))).toEqual({ verifyHostName: false });
    expect(planTls('verify-full', { ...files, rootCert: 'system' }, only({}))).toEqual({
      trust: 'system',
      verifyHostName: true,
    });
    expect(planTls('verify-ca', files, only({ '/t/root.crt': file(), '/t/root.crl': file() })).crl).toBe('/t/root.crl');
  });

  it('fails verify-ca and verify-full without a root certificate, naming the file it looked for', () => {
    for (const mode of ['verify-ca', 'verify-full'] as const) {
      expect(() => planTls(mode, files, only({}))).toThrow(/root certificate file "\/t\/root\.crt" does not exist/);
    }
  });

  it('offers a client certificate when its file exists; its key must exist and be private', () => {
    const present = (keyMode: number, uid = 1000) => only({ '/t/c.crt': file(0o644), '/t/c.key': file(keyMode, uid) });
    expect(planTls('require', files, present(0o600)).client).toEqual({ cert: '/t/c.crt', key: '/t/c.key' });
    expect(planTls('require', files, present(0o640, 0)).client).toBeDefined();
    const refused = (keyMode: number, uid = 1000) => {
      try {
        planTls('require', files, present(keyMode, uid));
      } catch (error) {
        return error as TlsSetupError;
      }
      return undefined;
    };
    expect(refused(0o644)).toMatchObject({ problem: 'key-permissions', file: '/t/c.key' });
    expect(refused(0o644)?.message).toMatch(/private key file "\/t\/c\.key" has group or world access \(mode 0644\)/);
    expect(refused(0o640)?.problem).toBe('key-permissions');
    expect(refused(0o660, 0)?.problem).toBe('key-permissions');
    expect(refused(0o604, 0)?.problem).toBe('key-permissions');
    expect(() => planTls('require', files, only({ '/t/c.crt': file() }))).toThrow(
      /certificate present \("\/t\/c\.crt"\), but not private key file "\/t\/c\.key"/,
    );
  });
});
