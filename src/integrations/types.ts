// What an integration is: something that mounts inbound routes on the daemon's HTTP
// server (or runs in the background: timers, outbound sockets), verifies what arrives and
// turns it into events; and what its connections are configured with.
import type { Hono } from "hono";
import type { Db } from "../core/db/client.ts";
import type { Dispatcher } from "../core/dispatcher.ts";
import type { Events } from "../core/events.ts";
import type { LogBus } from "../core/sessions/log-bus.ts";
import type { SecretBox } from "../core/projects/secrets.ts";
import type { WebhookSource } from "./webhook-source.ts";

export type IntegrationContext = {
  db: Db;
  events: Events;
  dispatcher: Dispatcher;
  // Session log records as they are written (sync webhooks wait for outcomes here).
  bus: LogBus;
  // webhookRate: requests per second per webhook (0: no limit).
  limits: { webhookBodyBytes: number; syncTimeoutMs: number; webhookRate: number };
  // Opens secret var values.
  box: SecretBox;
  // The daemon's base URL, e.g. for webhook URLs shown to users.
  serviceUrl: () => string;
  // The integration this context was given to (events are counted under its name).
  integration?: string;
  // This daemon's name among daemons sharing the database (owner of source leases).
  nodeId?: string;
};

// A connection variable an integration reads. Secret ones are encrypted at rest whatever
// the manifest or `pounce var set` says. Each reaches handlers as `<conn>__<name>`.
export type ConnectionVarSpec = { name: string; secret: boolean; description: string };

// A connection with its vars (secrets opened), as integrations see it.
export type ConnectionInfo = {
  id: string;
  projectId: string;
  name: string;
  integration: string;
  vars: Record<string, string>;
};

export type TestResult = { status: "ok" | "warning" | "error"; message: string };

// Background work an integration runs while the daemon is up.
export interface Service {
  // Connections, vars or triggers changed (a deploy, `pounce var set`): catch up.
  reload(): Promise<void>;
  close(): Promise<void>;
  // A short word on a connection's live state (e.g. a Socket Mode link), if it has one.
  status?(connectionId: string): string | undefined;
}

export interface Integration {
  readonly name: string;
  // It turns what arrives from its service into events: triggers on its connections can
  // fire (without it, deploy warns that they never will).
  readonly events?: boolean;
  // What its connections are configured with (`connections[].vars` in the manifest).
  readonly connectionVars?: readonly ConnectionVarSpec[];
  // Adds inbound routes to the daemon's app.
  mount?(app: Hono, ctx: IntegrationContext): void;
  // Webhook-style deliveries, declared (see webhook-source.ts): the hub mounts them, and the
  // first one's toEvents serves `pounce event dispatch --integration`.
  readonly webhooks?: readonly WebhookSource[];
  // Starts background work, once the daemon serves HTTP.
  start?(ctx: IntegrationContext): Promise<Service>;
  // `pounce connection test`: checks a connection's vars against the service.
  test?(conn: ConnectionInfo, ctx: IntegrationContext, service?: Service): Promise<TestResult>;
  // Extra facts `pounce connection get` shows, e.g. the URL to configure in the service.
  describe?(conn: ConnectionInfo, ctx: IntegrationContext): Record<string, string>;
}
