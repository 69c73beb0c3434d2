import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { terminalSafe, terminalSafeJson } from '../../src/core/util/terminalSafe';

/** What a terminal acts on: C0 controls but line feed and tab, DEL, C1 controls, bidi overrides and isolates. */
const ACTIVE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

describe('text for a terminal', () => {
  it('shows controls as escapes and keeps line breaks, tabs and everything printable', () => {
    expect(terminalSafe('a\x1b]0;X\x07b')).toBe('a\\x1b]0;X\\x07b');
    expect(terminalSafe('\x1b[2J\r\b\x7f\x9b\u202eevil\u2066')).toBe('\\x1b[2J\\x0d\\x08\\x7f\\x9b\\u202eevil\\u2066');
    expect(terminalSafe('line 1\n\tline 2 — é 😀')).toBe('line 1\n\tline 2 — é 😀');
  });

  it('leaves nothing a terminal acts on, for any text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (text) => {
        expect(ACTIVE.test(terminalSafe(text))).toBe(false);
      }),
    );
  });

  it('escapes in JSON what JSON.stringify leaves raw, and the JSON means the same', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (text) => {
        const json = terminalSafeJson(JSON.stringify({ text }, null, 2));
        expect(ACTIVE.test(json.replace(/\n/g, ''))).toBe(false);
        expect(JSON.parse(json)).toEqual({ text });
      }),
    );
  });
});
