/**
 * ~/.pgpass as libpq reads it: `hostname:port:database:username:password`, `*` matches anything,
 * `\:` and `\\` are escapes, the first matching line wins.
 */
export interface PgpassEntry {
  host: string;
  port: string;
  database: string;
  user: string;
  password: string;
}

export function parsePgpass(text: string): PgpassEntry[] {
  const entries: PgpassEntry[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const fields = splitEscaped(line);
    if (fields.length < 5) continue;
    const [host, port, database, user, ...rest] = fields as [string, string, string, string, ...string[]];
    entries.push({ host, port, database, user, password: rest.join(':') });
  }
  return entries;
}

function splitEscaped(line: string): string[] {
  const fields: string[] = [];
  let current = '';
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (ch === '\\' && i + 1 < line.length) {
      current += line[++i];
    } else if (ch === ':') {
      fields.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  fields.push(current);
  return fields;
}

export function findPgpassPassword(
  entries: PgpassEntry[],
  target: { host: string; port: number; database: string; user: string },
): string | undefined {
  // libpq matches a Unix-socket host as "localhost".
  const host = target.host.startsWith('/') ? 'localhost' : target.host;
  const matches = (pattern: string, value: string) => pattern === '*' || pattern === value;
  const entry = entries.find(
    (e) =>
      matches(e.host, host) &&
      matches(e.port, String(target.port)) &&
      matches(e.database, target.database) &&
      matches(e.user, target.user),
  );
  return entry?.password;
}
