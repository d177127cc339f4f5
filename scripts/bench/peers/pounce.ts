// Pounce in the peers benchmark: the daemon and project of `npm run bench` (daemon.ts,
// project/), fork server and fsync durability, measured with the same figures (figures.ts).
// Its CPU per workflow is the daemon process's alone (the Python runners are children).
import { BenchDaemon, bundle } from "../daemon.ts";
import { activitySteps, firstLine, throughput } from "../figures.ts";
import { cpuMs, type System, type Throughput } from "./system.ts";

export class Pounce implements System {
  readonly name = "Pounce";

  private constructor(private readonly d: BenchDaemon) {}

  static async start(): Promise<Pounce> {
    await bundle();
    const d = await BenchDaemon.start({ runner: "fork", durability: "fsync" });
    try {
      await d.deploy();
      await firstLine(d, 1); // the fork server is up
    } catch (err) {
      await d.stop();
      throw err;
    }
    return new Pounce(d);
  }

  steps(n: number): Promise<number[]> {
    return activitySteps(this.d, n);
  }

  async firstLine(): Promise<number> {
    return (await firstLine(this.d, 1))[0];
  }

  async throughput(clients: number, seconds: number): Promise<Throughput> {
    const pid = this.d.proc.pid!;
    const cpu0 = cpuMs([pid]);
    const t = await throughput(this.d, clients, seconds);
    const cpu = cpuMs([pid]) - cpu0;
    return { ...t, cpuMsPerWorkflow: cpu / Math.max(1, t.answered) };
  }

  memory() {
    const py = this.d.pythonProcesses();
    return {
      mb: this.d.rssMb(),
      what: `daemon (Python: ${py.servers} fork server, ${py.runners} runners, ${
        py.rssMb.toFixed(0)
      } MB)`,
    };
  }

  stop(): Promise<void> {
    return this.d.stop();
  }
}
