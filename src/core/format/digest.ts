/**
 * A fingerprint of a file's text: its length and two FNV-1a hashes of its UTF-16 code units (64 bits).
 * It only tells whether a notebook still prints as the file it was read from, so a collision is harmless:
 * the edited notebook would be written, losslessly, in the older version instead of the current one.
 */
export function textDigest(text: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    a = Math.imul(a ^ unit, 0x01000193);
    b = Math.imul(b ^ unit, 0x5bd1e995) ^ (b >>> 15);
  }
  const hex = (n: number) => (n >>> 0).toString(16).padStart(8, '0');
  return `${text.length}:${hex(a)}${hex(b)}`;
}
