// Keeps a warm runner server for each active deployment, so that no session waits for an
// interpreter to start: after the daemon starts and whenever core signals a config change
// (config-changed.ts: deploy, activate, vars, connections), the fork servers are matched
// to what is deployed.
import type { WarmSpec } from "./fork-launcher.ts";
import type { CodeDirs } from "../core/projects/builds.ts";
import type { Db } from "../core/db/client.ts";
import { allActiveDeployments } from "../core/projects/deployments.ts";
import { sessionEnv } from "../core/projects/env.ts";
import { triggersOfProjects } from "../core/triggers/lookup.ts";
import { log, logFailure } from "../core/util/log.ts";
import type { SecretBox } from "../core/projects/secrets.ts";
import { entryModule } from "../core/projects/entrypoint.ts";

export interface WarmTarget {
  sync(specs: WarmSpec[]): Promise<void>;
}

export type WarmupDeps = {
  db: Db;
  box: SecretBox;
  codeDirs: CodeDirs;
  serviceUrl: () => string;
  target: WarmTarget;
};

const DEBOUNCE_MS = 100;

export class RunnerWarmup {
  private timer?: ReturnType<typeof setTimeout>;
  private running: Promise<void> = Promise.resolve();

  constructor(private readonly deps: WarmupDeps) {}

  // Something changed: sync soon (several changes in a row make one sync).
  changed(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.sync().catch(logFailure("warming runners failed"));
    }, DEBOUNCE_MS);
  }

  sync(): Promise<void> {
    this.running = this.running.then(async () => {
      try {
        await this.deps.target.sync(await this.specs());
      } catch (err) {
        log.warn("warming runners failed", { error: (err as Error).message });
      }
    });
    return this.running;
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
  }

  // One spec per active deployment and durability mode, preloading its entry modules.
  async specs(): Promise<WarmSpec[]> {
    const { db, box, codeDirs, serviceUrl } = this.deps;
    const active = await allActiveDeployments(db);
    if (!active.length) return [];
    const projectIds = [...new Set(active.map((d) => d.projectId))];
    const calls = await triggersOfProjects(db, projectIds);
    const specs: WarmSpec[] = [];
    for (const d of active) {
      const modes = new Map<boolean, Set<string>>();
      for (const t of calls) {
        if (t.projectId !== d.projectId || !t.call) continue;
        const module = entryModule(t.call);
        if (!modes.has(t.isDurable)) modes.set(t.isDurable, new Set());
        if (module) modes.get(t.isDurable)!.add(module);
      }
      if (!modes.size) continue;
      const [codeDir, env] = await Promise.all([
        codeDirs.get(d.buildId),
        sessionEnv(db, box, d.projectId, serviceUrl()),
      ]);
      for (const [durable, modules] of modes) {
        specs.push({ codeDir, env, durable, preload: [...modules].sort() });
      }
    }
    return specs;
  }
}
