/** The places a password can be written that cnbook ignores (passwords live in pgpass, PG* or SecretStorage). */
export type PasswordPlace = 'url-userinfo' | 'url-query' | 'password-key' | 'service-file';

const PLACE_WORDS: Record<PasswordPlace, string> = {
  'url-userinfo': 'in its URL (user:password@)',
  'url-query': 'in its URL (?password=)',
  'password-key': 'in its "password" key',
  'service-file': 'in its pg_service.conf entry',
};

/** The pgpass file libpq reads: PGPASSFILE when set, else ~/.pgpass. */
export function pgpassFilePath(env: Record<string, string | undefined>, homeDir: string): string {
  return env.PGPASSFILE || `${homeDir}/.pgpass`;
}

/** The same file as messages name it: PGPASSFILE's own text when set, `~/.pgpass` otherwise. */
export function pgpassFileLabel(env: Record<string, string | undefined>): string {
  return env.PGPASSFILE || '~/.pgpass';
}

/**
 * The one warning for a password written where cnbook does not read it. Takes no password: the value can
 * never reach the message.
 */
export function ignoredPasswordWarning(where: string, place: PasswordPlace, pgpassFile: string): string {
  return (
    `${where}: holds a password ${PLACE_WORDS[place]}, which cnbook ignores. Put it in ${pgpassFile} ` +
    '(hostname:port:database:username:password, mode 0600) or PGPASSWORD instead.'
  );
}
