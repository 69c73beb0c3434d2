/** Bytes of a value in UTF-8, as the server sends it. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/** Bytes of the protocol's DataRow message for one row of text values (type, length, count, each value). */
export function dataRowBytes(row: readonly (string | null)[]): number {
  let bytes = 7;
  for (const value of row) bytes += 4 + (value === null ? 0 : utf8Length(value));
  return bytes;
}
