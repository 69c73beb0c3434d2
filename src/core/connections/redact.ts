/**
 * Removes secrets from any text before it reaches a log, an error message or an output.
 * Applied at the edges (messages, logs), in addition to never storing passwords in the first place.
 */
const URL_PASSWORD = /(postgres(?:ql)?:\/\/[^:/@\s]*:)([^@\s]*)(@)/gi;
const KEYWORD_PASSWORD = /\b(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)/gi;
const JSON_PASSWORD = /("password"\s*:\s*)"(?:[^"\\]|\\.)*"/gi;

export function redactSecrets(text: string): string {
  return text.replace(URL_PASSWORD, '$1***$3').replace(KEYWORD_PASSWORD, '$1***').replace(JSON_PASSWORD, '$1"***"');
}

/** A parameter name that says it holds a secret: asked with a password box, kept in memory only, never shown. */
const SECRET_PARAM_NAME = /pass(word)?|secret|token|credential|api_?key/i;

export function isSecretParamName(name: string): boolean {
  return SECRET_PARAM_NAME.test(name);
}

/** The values of the secret-named parameters among `params`, to take out of what PostgreSQL says back. */
export function secretParamValues(params: Readonly<Record<string, string>>): string[] {
  return Object.entries(params)
    .filter(([name, value]) => isSecretParamName(name) && value !== '')
    .map(([, value]) => value);
}

/**
 * `text` with each of `values` replaced by ***: a bound secret the server echoes in an error
 * (`invalid input syntax for type integer: "…"`) must not reach the output, the record or a log.
 */
export function redactValues(text: string, values: readonly string[]): string {
  // Longest first, so a secret that contains another is taken out whole.
  return [...values].sort((a, b) => b.length - a.length).reduce((t, value) => t.split(value).join('***'), text);
}
