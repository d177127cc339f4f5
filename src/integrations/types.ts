// What an integration is: something that mounts inbound routes on the daemon's HTTP
// server, verifies requests and turns them into events.
import type { Hono } from "hono";
import type { Db } from "../core/db/client.ts";
import type { Dispatcher } from "../core/dispatcher.ts";
import type { Events } from "../core/events.ts";

export type IntegrationContext = {
  db: Db;
  events: Events;
  dispatcher: Dispatcher;
  limits: { webhookBodyBytes: number };
};

export interface Integration {
  readonly name: string;
  mount(app: Hono, ctx: IntegrationContext): void;
}
