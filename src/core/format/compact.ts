import { compactFindings, expandFindings } from './compactFindings';
import { compactResult, expandResult } from './compactResult';
import { FINDINGS_MIME, RESULT_MIME } from './model';

/*
 * Version 2 stores cnbook's own payloads (findings, SQL results) as `"compact": VALUE`: the same JSON
 * without repeating itself, restored on reading from the JSON alone (never from the Markdown view): findings
 * as rows under their key names, a SQL check's evidence as a count of the rows its cell's result stored, the
 * provenance its runs share once, and no provenance field that follows from the run. The printer compacts a
 * payload only when expanding it gives back its exact text, so the rule never loses anything: an unusual
 * payload is stored as `"json"` (or `"text"`) as before.
 */

export const COMPACT_MIMES: readonly string[] = [FINDINGS_MIME, RESULT_MIME];

/** What else in the outputs block a compact payload is read with. */
export interface PayloadContext {
  /** The SQL result payloads of the cell's earlier outputs, parsed, nearest last. */
  results: readonly unknown[];
}

/** A payload as JSON, or the reason the file does not hold it. */
export type Expanded = { value: unknown } | string;

/** The compact form of a payload's text, or undefined when it has none that expands back to exactly the text. */
export function compactPayload(mime: string, text: string, context: PayloadContext): unknown {
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch {
    return undefined;
  }
  const compact = mime === FINDINGS_MIME ? compactFindings(payload, context) : compactResult(payload);
  // Nothing left out: the payload is stored as it is.
  if (compact === undefined || JSON.stringify(compact) === text) return undefined;
  return expandPayload(mime, compact, context).text === text ? compact : undefined;
}

/** The text of a payload stored compact, or what in the file does not hold it. */
export function expandPayload(
  mime: string,
  compact: unknown,
  context: PayloadContext,
): { text: string; problem?: undefined } | { text?: undefined; problem: string } {
  const payload = mime === FINDINGS_MIME ? expandFindings(compact, context) : expandResult(compact);
  return typeof payload === 'string' ? { problem: payload } : { text: JSON.stringify(payload.value) };
}

/** The result payloads among outputs' items, parsed (the context of a later output's findings). */
export function resultPayloads(items: readonly { mime: string; text?: string }[]): unknown[] {
  const results: unknown[] = [];
  for (const item of items) {
    if (item.mime !== RESULT_MIME || typeof item.text !== 'string') continue;
    try {
      results.push(JSON.parse(item.text));
    } catch {
      // Not JSON: no rows for evidence.
    }
  }
  return results;
}
