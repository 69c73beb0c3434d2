/**
 * A result table as text another tool reads back exactly: TSV in PostgreSQL's COPY text format (what
 * `\copy … FROM` and psql read; NULL is `\N`, so it stays apart from the text 'NULL' or ''), CSV as COPY's CSV
 * format (RFC 4180; NULL is an empty field, the empty string a quoted ""). Both have a header line.
 */
export interface TableText {
  columns: readonly string[];
  rows: readonly (readonly (string | null)[])[];
}

const TSV_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

function tsvField(value: string | null): string {
  return value === null ? '\\N' : value.replace(/[\\\t\n\r]/g, (c) => TSV_ESCAPES[c] ?? c);
}

export function tableAsTsv(table: TableText): string {
  const lines = [table.columns, ...table.rows].map((row) => row.map(tsvField).join('\t'));
  return `${lines.join('\n')}\n`;
}

function csvField(value: string | null): string {
  if (value === null) return '';
  // COPY quotes what a reader could misread: separators, quotes, line ends, the empty string, and \. alone.
  const quote = value === '' || value === '\\.' || /[",\r\n]/.test(value) || /^\s|\s$/.test(value);
  return quote ? `"${value.replace(/"/g, '""')}"` : value;
}

export function tableAsCsv(table: TableText): string {
  const lines = [table.columns.map((c) => csvField(c)), ...table.rows.map((row) => row.map(csvField))];
  return `${lines.map((fields) => fields.join(',')).join('\r\n')}\r\n`;
}

const PLAIN_DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?$/;

/**
 * Orders two numeric values as PostgreSQL does, from their text: exactly (a bigint beyond 2^53 or a numeric
 * with 30 digits keeps its order, which Number() loses), -Infinity < numbers < Infinity < NaN.
 */
export function compareNumericText(a: string, b: string): number {
  const x = decimalParts(a);
  const y = decimalParts(b);
  if (x && y) return compareDecimals(x, y);
  return compareFloats(Number(a.trim()), Number(b.trim()));
}

interface DecimalParts {
  negative: boolean;
  whole: string;
  fraction: string;
}

function decimalParts(text: string): DecimalParts | undefined {
  const match = PLAIN_DECIMAL.exec(text.trim());
  if (!match || !/\d/.test(text)) return undefined;
  const fraction = (match[3] ?? '').replace(/0+$/, '');
  const whole = (match[2] ?? '').replace(/^0+/, '');
  const zero = whole === '' && fraction === '';
  return { negative: match[1] === '-' && !zero, whole, fraction };
}

function compareDecimals(x: DecimalParts, y: DecimalParts): number {
  if (x.negative !== y.negative) return x.negative ? -1 : 1;
  const magnitude =
    x.whole.length !== y.whole.length
      ? x.whole.length - y.whole.length
      : compareDigits(x.whole, y.whole) ||
        compareDigits(x.fraction.padEnd(y.fraction.length, '0'), y.fraction.padEnd(x.fraction.length, '0'));
  return Math.sign(x.negative ? -magnitude : magnitude);
}

/** Digit strings of one length, compared as the numbers they spell. */
function compareDigits(x: string, y: string): number {
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Exponent forms (float8 prints 1e+100) and the specials by value; NaN above everything, as in PostgreSQL. */
function compareFloats(x: number, y: number): number {
  if (Number.isNaN(x) || Number.isNaN(y)) return Number(Number.isNaN(x)) - Number(Number.isNaN(y));
  return x < y ? -1 : x > y ? 1 : 0;
}
