// A CommonJS package's exports from a dynamic `import()`, wherever the code runs: Node and
// Deno give them as named exports (and as `default`); an ES module bundle (esbuild's, as
// the benchmark runs the daemon) gives them only as `default`; a CommonJS bundle (the
// binary's) gives `module.exports` itself, whose `default` may be a package's own default
// export (@opentelemetry/api's lacks `SpanKind`). So `default` only when nothing else is.
export function commonJs<T extends object>(imported: T): T {
  const named = Object.keys(imported).some((key) => key !== "default" && key !== "__esModule");
  return named ? imported : (imported as { default?: T }).default ?? imported;
}
