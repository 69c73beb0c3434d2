/**
 * The host globals src/core may use, declared by hand: each exists alike in Node 20, browsers and VS Code's
 * extension hosts. src/core/tsconfig.json compiles the core against ES2022 and this file only (no DOM, no
 * Node types), so a Node or DOM API used in the core by mistake is a compile error rather than a crash in
 * a host that lacks it. Add a member here only if every host has it.
 */

interface AbortSignal {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

interface URLSearchParams {
  get(name: string): string | null;
  has(name: string): boolean;
  forEach(callback: (value: string, key: string) => void): void;
  keys(): IterableIterator<string>;
  entries(): IterableIterator<[string, string]>;
}

declare class URL {
  constructor(url: string, base?: string);
  readonly protocol: string;
  readonly username: string;
  readonly password: string;
  readonly hostname: string;
  readonly host: string;
  readonly port: string;
  readonly pathname: string;
  readonly search: string;
  readonly searchParams: URLSearchParams;
}

declare function setTimeout(callback: (...args: never[]) => void, ms?: number): unknown;
declare function clearTimeout(handle: unknown): void;

/** Wall-clock and monotonic time in milliseconds (sub-millisecond resolution). */
declare const performance: { readonly timeOrigin: number; now(): number };

/** UTF-8 decoding (src/core/format/utf8.ts validates first, so `fatal` is never needed). */
declare class TextDecoder {
  constructor(label?: 'utf-8', options?: { fatal?: boolean; ignoreBOM?: boolean });
  decode(input?: Uint8Array): string;
}
