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
