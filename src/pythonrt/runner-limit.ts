// At most N runners at once: a burst of events queues its sessions for a runner instead
// of starting thousands of processes. A slot is freed when its runner exits (waiting
// durable sessions hibernate, so they do not hold one for long).
import { logFailure } from "../core/util/log.ts";
import type { Runner, RunnerLauncher, RunnerSpec } from "../core/sessions/runner-port.ts";

export class LimitedLauncher implements RunnerLauncher {
  private running = 0;
  private readonly queue: (() => void)[] = [];

  constructor(private readonly inner: RunnerLauncher, readonly max: number) {}

  async launch(spec: RunnerSpec): Promise<Runner> {
    if (this.running >= this.max) await new Promise<void>((resolve) => this.queue.push(resolve));
    else this.running++;
    let runner: Runner;
    try {
      runner = await this.inner.launch(spec);
    } catch (err) {
      this.release();
      throw err;
    }
    runner.exited.then(() => this.release()).catch(logFailure("releasing a runner slot failed"));
    return runner;
  }

  get active(): number {
    return this.running;
  }

  // A freed slot goes to the next queued launch (the count stays), else it is returned.
  private release(): void {
    const next = this.queue.shift();
    if (next) next();
    else this.running--;
  }
}
