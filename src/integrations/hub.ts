// The registered integrations at work in one daemon: their routes mounted, their
// background services started, reloaded when configuration changes, and closed.
import type { Hono } from "hono";
import { projectConnections, withVars } from "../core/projects/connections.ts";
import { log } from "../core/util/log.ts";
import { SerialQueue } from "../core/util/serial.ts";
import { integrationNamed, integrations } from "./registry.ts";
import { mountWebhookSource } from "./webhook-source.ts";
import type {
  ConnectionInfo,
  Integration,
  IntegrationContext,
  Service,
  TestResult,
} from "./types.ts";

export class IntegrationHub {
  private readonly services = new Map<string, Service>();
  // Reloads run one at a time, so two deploys at once cannot both open a Socket Mode link.
  private readonly reloads = new SerialQueue();
  private started = false;

  constructor(
    readonly ctx: IntegrationContext,
    private readonly list: readonly Integration[] = integrations,
  ) {}

  mount(app: Hono): void {
    for (const i of this.list) {
      const ctx = { ...this.ctx, integration: i.name };
      i.mount?.(app, ctx);
      for (const source of i.webhooks ?? []) mountWebhookSource(app, ctx, i.name, source);
    }
  }

  async start(): Promise<void> {
    this.started = true;
    for (const i of this.list) {
      if (i.start) this.services.set(i.name, await i.start({ ...this.ctx, integration: i.name }));
    }
  }

  // After a deploy or a connection var change. A failing service is logged, not fatal:
  // what was stored stays stored.
  async reload(): Promise<void> {
    if (!this.started) return;
    await this.reloads.run(() =>
      Promise.all(
        [...this.services].map(([name, s]) =>
          s.reload().catch((err) =>
            log.error("integration reload failed", {
              integration: name,
              error: (err as Error).message,
            })
          )
        ),
      )
    );
  }

  async close(): Promise<void> {
    this.started = false;
    await this.reloads.idle();
    const services = [...this.services.values()];
    this.services.clear();
    await Promise.allSettled(services.map((s) => s.close()));
  }

  status(conn: { id: string; integration: string }): string | undefined {
    return this.services.get(conn.integration)?.status?.(conn.id);
  }

  describe(conn: ConnectionInfo): Record<string, string> {
    return integrationNamed(conn.integration)?.describe?.(conn, this.ctx) ?? {};
  }

  // Deploy output lines: what to configure in each service, e.g. a webhook URL.
  async hints(projectId: string): Promise<string[]> {
    const { db, box } = this.ctx;
    const rows = await projectConnections(db, projectId);
    const lines: string[] = [];
    for (const conn of await withVars(db, box, rows)) {
      for (const [k, v] of Object.entries(this.describe(conn))) {
        lines.push(`[!!!!] connection "${conn.name}" ${k}: ${v}`);
      }
    }
    return lines;
  }

  async test(conn: ConnectionInfo): Promise<TestResult> {
    const integration = integrationNamed(conn.integration);
    if (!integration?.test) {
      return { status: "warning", message: `no test for integration "${conn.integration}"` };
    }
    return await integration.test(conn, this.ctx, this.services.get(conn.integration));
  }
}
