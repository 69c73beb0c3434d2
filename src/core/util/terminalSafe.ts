/**
 * Text from a server (an error, a notice, a value, a column name, a connection label) on its way to a
 * terminal: a control character there is a command (ESC ] 0 retitles the window, ESC [ 2 J clears it, CR and
 * backspace overwrite what was said, a bidi override reorders it), so each is shown as an escape instead.
 * Line breaks and tabs stay, for layout; everything else prints as it is.
 */
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** `\x1b` for a C0 or C1 control or DEL, `\u202e` for a bidi override or isolate. */
function shown(ch: string): string {
  const code = ch.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

export function terminalSafe(text: string): string {
  return text.replace(CONTROLS, shown);
}

/** Characters JSON.stringify writes raw (DEL, C1 controls, bidi overrides) that a terminal would act on. */
const RAW_IN_JSON = /[\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/**
 * JSON text for a terminal: JSON.stringify escapes C0 controls but writes DEL, the C1 controls (U+009B is a
 * CSI) and bidi overrides as they are; written as `\u009b` they are the same JSON value, so nothing is lost.
 */
export function terminalSafeJson(json: string): string {
  return json.replace(RAW_IN_JSON, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
