/*
 * Key order in the client exactly as the server sorts the keys it sends: numbers by value, text by
 * code point (what COLLATE "C" does with UTF-8), so the merge of two sorted streams never goes astray.
 */

/** Compares decimal strings as numbers, exactly, whatever their size (PostgreSQL's numeric text). */
export function compareDecimals(x: string, y: string): number {
  const [sx, ax] = split(x);
  const [sy, ay] = split(y);
  if (sx !== sy) return isZero(ax) && isZero(ay) ? 0 : sx < sy ? -1 : 1;
  const magnitude = compareMagnitudes(ax, ay);
  return sx < 0 && magnitude !== 0 ? -magnitude : magnitude;
}

function split(text: string): [number, string] {
  return text.startsWith('-') ? [-1, text.slice(1)] : [1, text.replace(/^\+/, '')];
}

function isZero(digits: string): boolean {
  return /^0*\.?0*$/.test(digits);
}

function compareMagnitudes(a: string, b: string): number {
  const [ai = '', af = ''] = a.split('.');
  const [bi = '', bf = ''] = b.split('.');
  const ia = ai.replace(/^0+/, '');
  const ib = bi.replace(/^0+/, '');
  if (ia.length !== ib.length) return ia.length < ib.length ? -1 : 1;
  if (ia !== ib) return ia < ib ? -1 : 1;
  const width = Math.max(af.length, bf.length);
  const fa = af.padEnd(width, '0');
  const fb = bf.padEnd(width, '0');
  return fa === fb ? 0 : fa < fb ? -1 : 1;
}

/** Compares strings by Unicode code point, which is UTF-8 byte order (JS `<` compares UTF-16 units). */
export function compareCodePoints(x: string, y: string): number {
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const a = x.charCodeAt(i);
    const b = y.charCodeAt(i);
    if (a === b) continue;
    // Only when a surrogate meets a unit from U+E000–U+FFFF do the two orders disagree.
    const surrogateA = a >= 0xd800 && a <= 0xdfff;
    const surrogateB = b >= 0xd800 && b <= 0xdfff;
    if (surrogateA !== surrogateB) return surrogateA ? 1 : -1;
    return a < b ? -1 : 1;
  }
  return x.length === y.length ? 0 : x.length < y.length ? -1 : 1;
}
