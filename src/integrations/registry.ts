// Every integration, registered in one place.
import type { Manifest } from "../core/projects/manifest.ts";
import { confluence } from "./confluence/index.ts";
import { credentialVars } from "./credentials.ts";
import { discord } from "./discord/index.ts";
import { github } from "./github/index.ts";
import { gmail, googlecalendar, googledrive, googleforms } from "./google/index.ts";
import { jira } from "./jira/index.ts";
import { linear } from "./linear/index.ts";
import { schedule } from "./schedule/index.ts";
import { slack } from "./slack/index.ts";
import { telegram } from "./telegram/index.ts";
import { twilio } from "./twilio/index.ts";
import type { ConnectionVarSpec, Integration } from "./types.ts";
import { webhook } from "./webhook/index.ts";
import { zoom } from "./zoom/index.ts";

export const integrations: readonly Integration[] = [
  webhook,
  schedule,
  slack,
  github,
  discord,
  telegram,
  twilio,
  linear,
  zoom,
  jira,
  confluence,
  googlecalendar,
  googledrive,
  googleforms,
  gmail,
];

export function integrationNamed(name: string): Integration | undefined {
  return integrations.find((i) => i.name === name);
}

// The vars a connection of the integration is known to take (none: it declares none).
export function connectionVarsOf(integration: string): ConnectionVarSpec[] {
  const own = integrationNamed(integration)?.connectionVars ?? [];
  const more = credentialVars(integration).filter((c) => !own.some((o) => o.name === c.name));
  return [...own, ...more];
}

// Whether a connection var is one its integration declares secret.
export function isSecretVar(integration: string, name: string): boolean {
  return connectionVarsOf(integration).some((v) => v.name === name && v.secret);
}

// Connection vars their integration declares secret are stored encrypted even when the
// manifest does not say `secret: true`.
export function markSecretVars(m: Manifest): Manifest {
  for (const c of m.project.connections) {
    for (const v of c.vars) v.secret ||= isSecretVar(c.integration, v.name);
  }
  return m;
}

// Deploy warnings: a trigger on a connection whose integration brings Pounce no events
// would never fire (e.g. an AutoKitteh project's Google Sheets trigger).
export function eventlessTriggers(m: Manifest): string[] {
  const lines: string[] = [];
  for (const t of m.project.triggers) {
    const conn = m.project.connections.find((c) => c.name === t.connection);
    if (t.type !== "connection" || !conn || integrationNamed(conn.integration)?.events) continue;
    lines.push(
      `[warn] trigger "${t.name}": connection "${conn.name}" is of integration ` +
        `"${conn.integration}", which has no event source in Pounce: the trigger never fires`,
    );
  }
  return lines;
}
