import { isObject } from './json';

/*
 * Shapes: a JSON value whose objects repeat the same keys (every finding's metrics of a probe, every column
 * of a result, every timeline entry) stored with each repeated key list once. An object whose key list is
 * shape N is written as the array ["§N", value, ...]; an array that would read as one (its first element a
 * string "§" or "§" and digits) is written with "§" put in front. Any JSON value is stored this way and read
 * back exactly, key order included.
 */

/** A value stored with its shapes: `shapes[N]` is the key list an array ["§N", ...] stands for. */
export interface Shaped {
  shapes: string[][];
  value: unknown;
}

const MARK = '§';
const MARKED = /^§\d*$/;

/** The value with every key list that repeats enough to pay for itself stored once, or undefined if none does. */
export function shapeValue(value: unknown): Shaped | undefined {
  const counts = new Map<string, { keys: string[]; count: number }>();
  countShapes(value, counts);
  const ids = new Map<string, number>();
  const shapes: string[][] = [];
  for (const [id, { keys, count }] of counts) {
    const keyBytes = keys.reduce((sum, key) => sum + JSON.stringify(key).length + 1, 0);
    // Each object saves its keys but pays "§N", (4+ bytes); the list costs its keys once more.
    if (count * (keyBytes - 5) > keyBytes + 2) {
      ids.set(id, shapes.length);
      shapes.push(keys);
    }
  }
  return shapes.length === 0 ? undefined : { shapes, value: encode(value, ids) };
}

/** The value a shaped one stands for, or what is wrong with it. */
export function unshapeValue(shapes: unknown, value: unknown): { value: unknown } | string {
  if (!Array.isArray(shapes) || !shapes.every((s) => Array.isArray(s) && s.every((k) => typeof k === 'string')))
    return '"shapes" is not a list of key lists';
  try {
    return { value: decode(value, shapes as string[][]) };
  } catch (error) {
    return (error as Error).message;
  }
}

/** One id per key list: keys joined by NUL when none holds one (the usual, cheaper case), else as JSON. */
const shapeId = (keys: readonly string[]) =>
  keys.some((key) => key.includes('\u0000')) ? `J${JSON.stringify(keys)}` : `j${keys.join('\u0000')}`;

function countShapes(value: unknown, counts: Map<string, { keys: string[]; count: number }>): void {
  if (Array.isArray(value)) value.forEach((v) => countShapes(v, counts));
  else if (isObject(value)) {
    const keys = Object.keys(value);
    if (keys.length > 0) {
      const id = shapeId(keys);
      const seen = counts.get(id);
      if (seen) seen.count++;
      else counts.set(id, { keys, count: 1 });
    }
    Object.values(value).forEach((v) => countShapes(v, counts));
  }
}

function encode(value: unknown, ids: ReadonlyMap<string, number>): unknown {
  if (Array.isArray(value)) {
    const items = value.map((v) => encode(v, ids));
    return typeof value[0] === 'string' && MARKED.test(value[0]) ? [MARK, ...items] : items;
  }
  if (!isObject(value)) return value;
  const id = ids.get(shapeId(Object.keys(value)));
  const values = Object.values(value).map((v) => encode(v, ids));
  if (id !== undefined) return [`${MARK}${id}`, ...values];
  return Object.fromEntries(Object.keys(value).map((key, i) => [key, values[i]]));
}

/** The array's items decoded: the array itself when none changes (a result's rows), a new one otherwise. */
function decodedItems(items: readonly unknown[], shapes: readonly string[][]): unknown[] {
  let decoded: unknown[] | undefined;
  items.forEach((item, i) => {
    const value = decode(item, shapes);
    if (value !== item) (decoded ??= items.slice(0, i)).push(value);
    else decoded?.push(value);
  });
  return decoded ?? (items as unknown[]);
}

function decode(value: unknown, shapes: readonly string[][]): unknown {
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, decode(v, shapes)]));
  if (!Array.isArray(value)) return value;
  const head = value[0];
  if (typeof head !== 'string' || !MARKED.test(head)) return decodedItems(value, shapes);
  const rest = value.slice(1).map((v) => decode(v, shapes));
  if (head === MARK) return rest;
  const keys = shapes[Number(head.slice(MARK.length))];
  if (!keys) throw new Error(`${JSON.stringify(head)} names no shape (there are ${shapes.length})`);
  if (keys.length !== rest.length)
    throw new Error(`${JSON.stringify(head)} has ${rest.length} values for the ${keys.length} keys of its shape`);
  return Object.fromEntries(keys.map((key, i) => [key, rest[i]]));
}
