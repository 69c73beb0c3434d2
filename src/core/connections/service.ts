/** pg_service.conf: INI sections naming services, each a set of libpq keyword=value lines. */
export type ServiceFile = Record<string, Record<string, string>>;

export function parseServiceFile(text: string): ServiceFile {
  const services: ServiceFile = {};
  let current: Record<string, string> | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const section = /^\[(.+)\]$/.exec(line);
    if (section?.[1]) {
      current = services[section[1].trim()] = {};
      continue;
    }
    const eq = line.indexOf('=');
    if (current && eq > 0) current[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return services;
}

/** Where libpq looks for service files, most specific first. */
export function serviceFilePaths(env: Record<string, string | undefined>, homeDir: string): string[] {
  const paths: string[] = [];
  if (env.PGSERVICEFILE) paths.push(env.PGSERVICEFILE);
  else paths.push(`${homeDir}/.pg_service.conf`);
  paths.push(`${env.PGSYSCONFDIR ?? '/etc/postgresql-common'}/pg_service.conf`);
  return paths;
}
