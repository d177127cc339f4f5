// Every integration, registered in one place.
import type { Manifest } from "../core/projects/manifest.ts";
import { github } from "./github/index.ts";
import { schedule } from "./schedule/index.ts";
import { slack } from "./slack/index.ts";
import type { Integration } from "./types.ts";
import { webhook } from "./webhook/index.ts";

export const integrations: readonly Integration[] = [webhook, schedule, slack, github];

export function integrationNamed(name: string): Integration | undefined {
  return integrations.find((i) => i.name === name);
}

// Whether a connection var is one its integration declares secret.
export function isSecretVar(integration: string, name: string): boolean {
  return !!integrationNamed(integration)?.connectionVars?.some((v) => v.name === name && v.secret);
}

// Connection vars their integration declares secret are stored encrypted even when the
// manifest does not say `secret: true`.
export function markSecretVars(m: Manifest): Manifest {
  for (const c of m.project.connections) {
    for (const v of c.vars) v.secret ||= isSecretVar(c.integration, v.name);
  }
  return m;
}
