// The binary's main bundle is a CommonJS module: scripts/build/loader.ts compiles it wrapped
// as Node wraps one, and the build makes its V8 code cache from the very same text.
export function wrapMain(source: string): string {
  return `(function (exports, require, module, __filename, __dirname) {${source}\n})`;
}
