import { isObject } from './json';
import type { JsonObject } from './model';
import { shapeValue, unshapeValue } from './shapes';

/*
 * Version 2's `<!-- cnbook:markdown shapes` marker: a Markdown cell's metadata stored as
 * `{"shapes": [...], "metadata": VALUE}`, its repeated key lists once (src/core/format/shapes.ts), without
 * what cnbook's record cells say twice:
 * - the diagnosis cell (src/core/record/diagnosisCell.ts): the primary problem's type, cause, severity and
 *   next step at the top (they are the first problem's), the type again in the escalation, and a next
 *   step's chart where it is the problem's type;
 * - the timeline (src/core/record/timeline.ts): a diagnosis entry's time and author where they are the
 *   entry's before it (the run it followed), its cause where it is the diagnosis entry's before it.
 * Used only when reading it back gives the metadata exactly.
 */

const MIN_GAIN = 120;

/** The packed form of a metadata value, or undefined when it does not pay or would not read back exactly. */
export function packMetadata(metadata: JsonObject): JsonObject | undefined {
  const lean = leanRecordCell(metadata);
  const shaped = shapeValue(lean);
  const packed = { shapes: shaped?.shapes ?? [], metadata: shaped ? shaped.value : lean };
  const back = unpackMetadata(JSON.parse(JSON.stringify(packed)));
  if (typeof back === 'string' || JSON.stringify(back) !== JSON.stringify(metadata)) return undefined;
  // A packed marker is harder to read: worth it only when it saves a line's worth.
  return JSON.stringify(packed).length + MIN_GAIN < JSON.stringify(metadata).length ? packed : undefined;
}

/** The metadata a packed value stands for, or what is wrong with it. */
export function unpackMetadata(packed: unknown): JsonObject | string {
  if (!isObject(packed) || Object.keys(packed).join() !== 'shapes,metadata')
    return 'a packed marker holds {"shapes": [...], "metadata": {...}}';
  const unshaped = unshapeValue(packed.shapes, packed.metadata);
  if (typeof unshaped === 'string') return unshaped;
  const metadata = unshaped.value;
  if (!isObject(metadata)) return 'its "metadata" is not an object';
  return fullRecordCell(metadata);
}

const leanRecordCell = (metadata: JsonObject) => mapRecordCell(metadata, leanDiagnosis, leanEntries);
const fullRecordCell = (metadata: JsonObject) => mapRecordCell(metadata, fullDiagnosis, fullEntries);

/** The metadata with its diagnosis or its timeline's entries mapped, when it is that record cell's. */
function mapRecordCell(
  metadata: JsonObject,
  diagnosis: (d: JsonObject) => JsonObject,
  entries: (e: readonly unknown[]) => unknown[],
): JsonObject {
  if (metadata.cnbook === 'diagnosis' && isObject(metadata.diagnosis))
    return { ...metadata, diagnosis: diagnosis(metadata.diagnosis) };
  if (metadata.cnbook === 'timeline' && isObject(metadata.timeline) && Array.isArray(metadata.timeline.entries))
    return { ...metadata, timeline: { ...metadata.timeline, entries: entries(metadata.timeline.entries) } };
  return metadata;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The object without `key`, when `value` is what it holds. */
function without(object: JsonObject, key: string, value: unknown): JsonObject {
  if (!(key in object) || !same(object[key], value)) return object;
  const { [key]: _left, ...rest } = object;
  return rest;
}

/** The object with `key` put back as `value` at `index` among its keys, when it lacks it and there is a value. */
function withKey(object: JsonObject, key: string, value: unknown, index: number): JsonObject {
  if (key in object || value === undefined) return object;
  const entries = Object.entries(object);
  entries.splice(index, 0, [key, value]);
  return Object.fromEntries(entries);
}

/** A diagnosis field and the field of its first problem that holds the same, in the diagnosis's key order. */
const PRIMARY_FIELDS: readonly [string, string][] = [
  ['consistencyType', 'type'],
  ['rootCause', 'rootCause'],
  ['severity', 'severity'],
  ['next', 'next'],
];
/** Where each primary field stands among a diagnosis's keys (consistencyType, rootCause, severity, path, next, ...). */
const PRIMARY_INDEX: Record<string, number> = { consistencyType: 0, rootCause: 1, severity: 2, next: 4 };

function leanDiagnosis(diagnosis: JsonObject): JsonObject {
  const problems = Array.isArray(diagnosis.problems) ? diagnosis.problems.map(leanProblem) : diagnosis.problems;
  let lean: JsonObject = { ...diagnosis, problems };
  if (isObject(diagnosis.escalation))
    lean.escalation = without(diagnosis.escalation, 'consistencyType', diagnosis.consistencyType);
  const first = Array.isArray(diagnosis.problems) ? diagnosis.problems[0] : undefined;
  const primary = isObject(first) && PRIMARY_FIELDS.every(([field, from]) => same(diagnosis[field], first[from]));
  if (primary) for (const [field] of PRIMARY_FIELDS) lean = without(lean, field, lean[field]);
  return lean;
}

function fullDiagnosis(lean: JsonObject): JsonObject {
  const problems = Array.isArray(lean.problems) ? lean.problems.map(fullProblem) : lean.problems;
  let diagnosis: JsonObject = { ...lean, problems };
  const first = Array.isArray(problems) ? problems[0] : undefined;
  if (isObject(first) && PRIMARY_FIELDS.every(([field]) => !(field in lean)))
    for (const [field, from] of PRIMARY_FIELDS)
      diagnosis = withKey(diagnosis, field, first[from], PRIMARY_INDEX[field]!);
  if (isObject(lean.escalation))
    diagnosis.escalation = withKey(lean.escalation, 'consistencyType', diagnosis.consistencyType, 0);
  return diagnosis;
}

function leanProblem(problem: unknown): unknown {
  if (!isObject(problem) || !isObject(problem.next)) return problem;
  return { ...problem, next: without(problem.next, 'chart', problem.type) };
}

function fullProblem(problem: unknown): unknown {
  if (!isObject(problem) || !isObject(problem.next)) return problem;
  return { ...problem, next: withKey(problem.next, 'chart', problem.type, 0) };
}

/** Where `at`, `who` and `rootCause` stand among a diagnosis entry's keys (kind, at, who, consistencyType, ...). */
const ENTRY_INDEX = { at: 1, who: 2, rootCause: 5 };

function leanEntries(entries: readonly unknown[]): unknown[] {
  let lastCause: unknown;
  return entries.map((entry, i) => {
    if (!isObject(entry) || entry.kind !== 'diagnosis') return entry;
    const before = entries[i - 1];
    let lean = entry;
    if (isObject(before) && 'at' in entry && 'who' in entry && same(entry.at, before.at) && same(entry.who, before.who))
      lean = without(without(lean, 'at', before.at), 'who', before.who);
    if (lastCause !== undefined) lean = without(lean, 'rootCause', lastCause);
    lastCause = entry.rootCause;
    return lean;
  });
}

function fullEntries(entries: readonly unknown[]): unknown[] {
  const full: unknown[] = [];
  let lastCause: unknown;
  for (const entry of entries) {
    if (!isObject(entry) || entry.kind !== 'diagnosis') {
      full.push(entry);
      continue;
    }
    const before = full[full.length - 1];
    let restored = entry;
    if (isObject(before) && !('at' in entry) && !('who' in entry))
      restored = withKey(withKey(restored, 'at', before.at, ENTRY_INDEX.at), 'who', before.who, ENTRY_INDEX.who);
    restored = withKey(restored, 'rootCause', lastCause, ENTRY_INDEX.rootCause);
    lastCause = restored.rootCause;
    full.push(restored);
  }
  return full;
}
