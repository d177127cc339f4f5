// A CommonJS package's exports from a dynamic `import()`, wherever the code runs: Node and
// Deno give them as named exports (and as `default`); an ES module bundle (esbuild's, as
// the benchmark runs the daemon) gives them only as `default`.
export function commonJs<T extends object>(imported: T): T {
  return (imported as { default?: T }).default ?? imported;
}
