// Google sources that publish to Cloud Pub/Sub (Forms, Gmail): one watch per connection
// with an OAuth token and something to watch, made against the topic AutoKitteh's env
// names, renewed before it expires, its state and cursor kept in the database
// (source_states) and kept by one daemon among those sharing it (a lease:
// leased-watches.ts). A push names what changed; the changes are listed from the
// connection's cursor and each delivered once. A push is taken once per Pub/Sub message
// id (Pub/Sub redelivers until acked).
import { connectionsOf, type ConnectionWithVars } from "../../core/projects/connections.ts";
import { now } from "../../core/util/clock.ts";
import { log } from "../../core/util/log.ts";
import { tokensOf } from "../oauth/tokens.ts";
import { replayKey } from "../replay-guard.ts";
import type { IntegrationContext } from "../types.ts";
import { CHANGE_KEEP_MS, iso, LeasedWatches, NO_TOKEN, type WatchPlan } from "./leased-watches.ts";
import type { PushMessage } from "./pubsub.ts";
import type { Change } from "./resource.ts";

export interface PubSubResource<W> {
  readonly integration: string;
  // Where the push subscription posts (AutoKitteh's path).
  readonly path: string;
  // The env var naming the Pub/Sub topic (AutoKitteh's).
  readonly topicEnv: string;
  target(vars: Record<string, string>): { target: string } | { problem: string };
  // Makes the watch, or renews `old` (a watch on the same target).
  watch(token: string, target: string, topic: string, old: W | undefined): Promise<W>;
  renewAt(w: W): number;
  describe(w: W): string;
  // A cursor from now on.
  begin(token: string, target: string, w: W): Promise<string>;
  // Whether the push is about this connection's watch.
  matches(w: W, msg: PushMessage): boolean;
  // The changes the push announces since `cursor`, and the cursor after them.
  changes(
    token: string,
    target: string,
    cursor: string,
    msg: PushMessage,
  ): Promise<{ changes: Change[]; cursor: string }>;
}

type Stored<W> = { target: string; topic: string; watch: W };

// How long a push's message id is remembered (Pub/Sub's redeliveries).
const PUSH_KEEP_MS = CHANGE_KEEP_MS;

export type PushOutcome = { status: 200 | 409 | 502; error?: string };

export class PubSubWatches<W> extends LeasedWatches<Stored<W>> {
  constructor(ctx: IntegrationContext, private readonly res: PubSubResource<W>) {
    super(ctx, res.integration, res.path);
  }

  // A verified push: taken once per message id; the changes of every connection whose
  // watch it names are listed and delivered. A push naming none is acknowledged.
  async pushed(msg: PushMessage): Promise<PushOutcome> {
    try {
      const taken = await this.guard.once(
        [replayKey(`${this.res.integration}.push`, msg.messageId)],
        PUSH_KEEP_MS,
        async () => {
          const conns = await connectionsOf(this.ctx.db, this.ctx.box, this.res.integration);
          for (const c of conns) {
            const stored = await this.load(c.id);
            if (!stored || !this.res.matches(stored.watch, msg)) continue;
            await this.queue(c.id).run(() => this.fetch(c.id, msg));
          }
        },
      );
      if (taken.replay) return { status: 409, error: "replayed push: already received" };
    } catch (err) {
      log.warn(`${this.res.integration}: changes not listed`, {
        message: msg.messageId,
        error: (err as Error).message,
      });
      return { status: 502, error: "changes could not be listed; retry" };
    }
    return { status: 200 };
  }

  // Google's watches expire by themselves (Forms and Gmail have no stop for them that
  // AutoKitteh uses); their pushes then match no connection.
  protected removed(id: string): Promise<void> {
    return this.forget(id);
  }

  // Makes or renews the connection's watch.
  protected plan(id: string, conn: ConnectionWithVars): WatchPlan {
    const token = tokensOf(conn.vars)?.accessToken;
    const what = this.res.target(conn.vars);
    const topic = process.env[this.res.topicEnv]?.trim();
    const withdraw = () => this.forget(id);
    if (!token) return { problem: NO_TOKEN, withdraw };
    if ("problem" in what) return { problem: what.problem, withdraw };
    if (!topic) {
      return {
        problem: `no ${this.res.topicEnv} in the daemon's env: no Pub/Sub topic to watch with`,
        withdraw,
      };
    }
    return {
      keep: async () => {
        let stored = await this.load(id);
        const same = stored?.target === what.target && stored.topic === topic;
        if (!stored || !same || now() >= this.res.renewAt(stored.watch)) {
          const watch = await this.res.watch(
            token,
            what.target,
            topic,
            same ? stored?.watch : undefined,
          );
          stored = { target: what.target, topic, watch };
          if (!same || (await this.cursor(id)) === undefined) {
            await this.saveCursor(id, await this.res.begin(token, what.target, watch));
          }
          await this.save(id, stored);
          log.info(`${this.res.integration}: watch made`, { connection: id });
        }
        const renew = this.res.renewAt(stored.watch);
        return {
          status: `${this.res.describe(stored.watch)} on ${what.target}, renews ${iso(renew)}`,
          renewAt: renew,
        };
      },
    };
  }

  private async fetch(id: string, msg: PushMessage): Promise<void> {
    const conn = await this.connection(id);
    const token = conn && tokensOf(conn.vars)?.accessToken;
    const what = conn && this.res.target(conn.vars);
    const stored = await this.load(id);
    if (!conn || !token || !what || "problem" in what || !stored) return;
    const cursor = await this.cursor(id) ?? await this.res.begin(token, what.target, stored.watch);
    const listed = await this.res.changes(token, what.target, cursor, msg);
    await this.deliverOnce(id, conn, listed.changes);
    await this.saveCursor(id, listed.cursor);
  }
}
