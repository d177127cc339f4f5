// "Config changed": raised by core after it commits a change to what deployments run with
// (a deploy, an activation or deactivation, a var, a connection, a project's removal).
// Whoever keeps something derived from that config (warm runner servers) subscribes.
// One signal per database handle; a listener's failure is logged, never the writer's.
import { perHandle } from "../db/per-handle.ts";
import { log } from "../util/log.ts";

export type ConfigChange =
  | "deploy"
  | "activate"
  | "deactivate"
  | "delete_deployment"
  | "vars"
  | "delete_project";

type Listener = (change: ConfigChange) => void;

export class ConfigChanged {
  private readonly listeners = new Set<Listener>();

  // Returns the unsubscribe function.
  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  raise(change: ConfigChange): void {
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch (err) {
        log.error("config change listener failed", { change, error: (err as Error).message });
      }
    }
  }
}

export const configChanged = perHandle(() => new ConfigChanged());
