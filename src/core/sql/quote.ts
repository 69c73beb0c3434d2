/**
 * Quoting for values written into SQL text (psql's `:'name'` and `:"name"`). Plain `:name` parameters are
 * bound and never pass through here.
 */

/** A problem with a parameter's value that makes it unusable in SQL text (said to the user as is). */
export class ParameterValueError extends Error {}

/**
 * A string literal that reads back as `value` whatever `standard_conforming_strings` is: a value with a
 * backslash is written as an escape string (E'…') with backslashes doubled, so no setting turns `\'` into
 * an escaped quote.
 */
export function quoteLiteral(value: string): string {
  checkText(value);
  const doubled = value.replace(/'/g, "''");
  return value.includes('\\') ? `E'${doubled.replace(/\\/g, '\\\\')}'` : `'${doubled}'`;
}

/**
 * A (possibly qualified) identifier: `schema.table` is split at its dots and each part quoted, so
 * `shop.orders` means table orders in schema shop. A name with a dot in it cannot be written this way
 * (that is the price of qualified names). Quoting keeps case: `Orders` is not `orders`.
 */
export function quoteIdentifier(value: string): string {
  return identifierParts(value)
    .map((part) => `"${part.replace(/"/g, '""')}"`)
    .join('.');
}

/** The parts of a qualified name (at most database.schema.table), or why it is not one. */
export function identifierParts(value: string): string[] {
  checkText(value);
  const parts = value.split('.');
  if (parts.some((p) => p === '')) throw new ParameterValueError(`'${value}' is not a name: it has an empty part`);
  if (parts.length > 3) throw new ParameterValueError(`'${value}' has more than three dot-separated parts`);
  // PostgreSQL would truncate a longer name silently (NAMEDATALEN 64), naming another table.
  const long = parts.find((p) => utf8Length(p) > 63);
  if (long !== undefined) throw new ParameterValueError(`'${long}' is longer than 63 bytes, PostgreSQL's name limit`);
  return parts;
}

function checkText(value: string): void {
  if (value.includes('\u0000')) throw new ParameterValueError('a value cannot contain a NUL character');
}

function utf8Length(text: string): number {
  let bytes = 0;
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    bytes += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
  }
  return bytes;
}
