/** Quotes an identifier (or schema.identifier) for SQL; names come from directives, never spliced raw. */
export function quoteQualified(name: string): string {
  return name.split('.').map((part) => `"${part.replace(/"/g, '""')}"`).join('.');
}
