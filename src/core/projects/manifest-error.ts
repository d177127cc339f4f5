// A bad manifest's error, apart from its parser (manifest.ts, with YAML and the CEL library,
// run in a worker thread): the daemon's thread only catches it.

// At most this many errors are listed; the rest are counted.
export const MAX_REPORTED_ERRORS = 50;

export class ManifestError extends Error {
  override name = "ManifestError";
  // One `field.path: problem` per error; the message lists them one a line.
  readonly errors: string[];
  constructor(errors: string | string[]) {
    const list = typeof errors === "string" ? errors.split("\n") : errors;
    const shown = list.length > MAX_REPORTED_ERRORS
      ? [
        ...list.slice(0, MAX_REPORTED_ERRORS),
        `... and ${list.length - MAX_REPORTED_ERRORS} more errors`,
      ]
      : list;
    super(shown.join("\n"));
    this.errors = list;
  }
}
