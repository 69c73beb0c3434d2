import { isObject } from './json';
import { FINDINGS_MIME, type JsonObject, RESULT_MIME } from './model';
import { packResult, unpackResult } from './packedResult';
import { shapeValue, unshapeValue } from './shapes';

/*
 * How version 2 stores most outputs of a record: an output that is cnbook's payload and its Markdown view
 * (what every probe and SQL cell writes) as `{"findings": COMPACT}` or `{"result": COMPACT}` rather than the
 * two items spelled out, a result without the statement fields that follow from its rows, and any output
 * with its repeated key lists stored once (`"shapes"`, src/core/format/shapes.ts). Each step is taken only
 * when reading it back gives exactly the output it stands for, so the forms of docs/format.md still hold for
 * everything else.
 */

const SHORTHANDS: readonly { key: 'findings' | 'result'; mime: string }[] = [
  { key: 'findings', mime: FINDINGS_MIME },
  { key: 'result', mime: RESULT_MIME },
];
const VIEW_ITEM = { mime: 'text/markdown', view: true };

/** The stored output (`{"items", "metadata"?}`) in its packed form, or as it is when packing gains nothing. */
export function packOutput(stored: JsonObject): JsonObject {
  const short = shorthand(stored);
  const shaped = shapeValue(short);
  const packed = shaped && isObject(shaped.value) ? { shapes: shaped.shapes, ...shaped.value } : short;
  const back = unpackOutput(JSON.parse(JSON.stringify(packed)));
  return isObject(back) && JSON.stringify(back) === JSON.stringify(stored) ? packed : stored;
}

/** The `{"items", "metadata"?}` form of a stored output, or what is wrong with its packed form. */
export function unpackOutput(stored: JsonObject): JsonObject | string {
  let value: JsonObject = stored;
  if ('shapes' in stored) {
    const { shapes, ...rest } = stored;
    const unshaped = unshapeValue(shapes, rest);
    if (typeof unshaped === 'string') return `its "shapes": ${unshaped}`;
    value = unshaped.value as JsonObject;
  }
  for (const { key, mime } of SHORTHANDS) {
    if (!(key in value)) continue;
    if (Object.keys(value).length !== 1) return `"${key}" together with other keys`;
    const compact = key === 'result' ? unpackResult(value[key]) : value[key];
    if (typeof compact === 'string') return `its "${key}": ${compact}`;
    return { items: [{ mime, compact }, VIEW_ITEM] };
  }
  return value;
}

function shorthand(stored: JsonObject): JsonObject {
  const items = stored.items;
  if (Object.keys(stored).length !== 1 || !Array.isArray(items) || items.length !== 2) return stored;
  const [payload, view] = items;
  if (JSON.stringify(view) !== JSON.stringify(VIEW_ITEM) || !isObject(payload) || !('compact' in payload))
    return stored;
  if (Object.keys(payload).length !== 2) return stored;
  const form = SHORTHANDS.find(({ mime }) => mime === payload.mime);
  if (!form) return stored;
  return { [form.key]: form.key === 'result' ? packResult(payload.compact) : payload.compact };
}
