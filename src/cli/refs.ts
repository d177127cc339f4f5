// The `<session id | project>` argument of session commands: a project name means that
// project's latest session (as AutoKitteh's `ak session`).
import { CliError, EXIT } from "./client.ts";

export function oneRef(positionals: string[]): string {
  if (positionals.length !== 1) {
    throw new CliError("expected one session id or project name", EXIT.badRequest);
  }
  return positionals[0];
}

// The same, escaped for a URL path.
export function ref(positionals: string[]): string {
  return encodeURIComponent(oneRef(positionals));
}
