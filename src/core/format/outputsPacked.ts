import { expandPayload } from './compact';
import { isObject } from './json';
import { FINDINGS_MIME, type JsonObject, RESULT_MIME } from './model';
import { packResult, unpackResult } from './packedResult';
import { shapeValue, unshapeValue } from './shapes';

/*
 * How version 2 stores most outputs of a record: an output that is cnbook's payload and its Markdown view
 * (what every probe and SQL cell writes) as `{"findings": COMPACT}` or `{"result": COMPACT}` rather than the
 * two items spelled out (a payload stored as "json" when compacting leaves nothing out reads the same), a result without the statement fields that follow from its rows, and any output
 * with its repeated key lists stored once (`"shapes"`, src/core/format/shapes.ts). Each step reads back as
 * exactly the output it stands for (test/unit/format.packed.test.ts and the property tests of the format
 * check it), so the forms of docs/format.md still hold for everything else.
 */

const SHORTHANDS: readonly { key: 'findings' | 'result'; mime: string }[] = [
  { key: 'findings', mime: FINDINGS_MIME },
  { key: 'result', mime: RESULT_MIME },
];
const VIEW_ITEM = { mime: 'text/markdown', view: true };

/** The stored output (`{"items", "metadata"?}`) in its packed form, or as it is when packing gains nothing. */
export function packOutput(stored: JsonObject): JsonObject {
  const normal = jsonResultAsCompact(stored);
  const short = shorthand(normal);
  const shaped = shapeValue(short);
  // Lossless by construction (shapes.ts; packResult checks its own rules): no second read-back here, which
  // cost a third of the time of printing a record.
  return shaped && isObject(shaped.value) ? { shapes: shaped.shapes, ...shaped.value } : short;
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

/**
 * A result that compacting left as it was is stored as "json"; its value read as compact gives the same
 * text (its fields are all there), so it can take the shorthand and the result rules as well.
 */
function jsonResultAsCompact(stored: JsonObject): JsonObject {
  const items = Array.isArray(stored.items) ? stored.items : [];
  const payload = items[0];
  if (!isObject(payload) || payload.mime !== RESULT_MIME || !('json' in payload)) return stored;
  if (expandPayload(RESULT_MIME, payload.json, { results: [] }).text !== JSON.stringify(payload.json)) return stored;
  return { ...stored, items: [{ mime: RESULT_MIME, compact: payload.json }, ...items.slice(1)] };
}

function shorthand(stored: JsonObject): JsonObject {
  const items = stored.items;
  if (Object.keys(stored).length !== 1 || !Array.isArray(items) || items.length !== 2) return stored;
  const [payload, view] = items;
  if (JSON.stringify(view) !== JSON.stringify(VIEW_ITEM) || !isObject(payload) || Object.keys(payload).length !== 2)
    return stored;
  const form = SHORTHANDS.find(({ mime }) => mime === payload.mime);
  if (!form || !('compact' in payload)) return stored;
  const value = form.key === 'result' ? packResult(payload.compact) : payload.compact;
  return value === undefined ? stored : { [form.key]: value };
}
