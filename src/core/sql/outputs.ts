import { CellOutput, ERROR_MIME, RESULT_MIME } from '../format/model';
import { escapeMarkdownInline } from '../util/escape';
import type { ResultPayload } from './payload';
import { renderResultMarkdown } from './render';

/** A SQL cell's result as a notebook output: structured JSON for renderers, Markdown for everything else. */
export function resultOutput(payload: ResultPayload): CellOutput {
  return {
    items: [
      { mime: RESULT_MIME, text: JSON.stringify(payload) },
      { mime: 'text/markdown', text: renderResultMarkdown(payload) },
    ],
  };
}

/** A cell that could not be sent to a server at all (bad annotation, unknown role, writes not allowed). */
export function errorOutput(name: string, message: string): CellOutput {
  return {
    items: [
      { mime: ERROR_MIME, text: JSON.stringify({ name, message }) },
      { mime: 'text/markdown', text: `> ❌ **${escapeMarkdownInline(name)}**: ${escapeMarkdownInline(message)}` },
    ],
  };
}
