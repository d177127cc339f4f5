// Restate in the peers benchmark: the server binary from @restatedev/restate-server (data in
// a fresh dir, TCP on free ports, everything else as shipped) and the SDK's endpoint
// (apps/restate-app.mjs) in its own Node process, registered through the admin API and
// invoked through the ingress.
import type { ChildProcess } from "node:child_process";
import { arch, platform } from "node:os";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { freePort, http } from "../daemon.ts";
import { SCRATCH } from "./scratch.ts";
import {
  cpuMs,
  HttpInvoked,
  rssOf,
  startApp,
  startProcess,
  stopProcess,
  type System,
  type Throughput,
  waitFor,
} from "./system.ts";

export class Restate implements System {
  readonly name = "Restate";

  private constructor(
    private readonly server: ChildProcess,
    private readonly sdk: ChildProcess,
    private readonly ingress: HttpInvoked,
  ) {}

  static async start(): Promise<Restate> {
    const [ingressPort, adminPort, nodePort, sdkPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    const dataDir = join(SCRATCH, "restate-data");
    rmSync(dataDir, { recursive: true, force: true });
    const bin = join(
      SCRATCH,
      "node_modules/@restatedev",
      `restate-server-${platform()}-${arch()}`,
      "bin/restate-server",
    );
    const serverLog = join(SCRATCH, "restate-server.log");
    const server = startProcess(
      bin,
      ["--no-logo", "--listen-mode", "tcp", "--base-dir", dataDir],
      {
        cwd: SCRATCH,
        log: serverLog,
        env: {
          RESTATE_INGRESS__BIND_ADDRESS: `127.0.0.1:${ingressPort}`,
          RESTATE_ADMIN__BIND_ADDRESS: `127.0.0.1:${adminPort}`,
          RESTATE_BIND_ADDRESS: `127.0.0.1:${nodePort}`,
          RESTATE_DISABLE_TELEMETRY: "true",
        },
      },
    );
    let sdk: ChildProcess;
    try {
      sdk = await startApp("restate-app", { PORT: String(sdkPort) });
    } catch (err) {
      await stopProcess(server);
      throw err;
    }
    const admin = `http://127.0.0.1:${adminPort}`;
    const ingress = new HttpInvoked(`http://127.0.0.1:${ingressPort}/bench`);
    const self = new Restate(server, sdk, ingress);
    try {
      await waitFor(
        "restate-server",
        async () => (await http(`${admin}/health`)).status === 200,
        { child: server, log: serverLog },
      );
      const res = await http(`${admin}/deployments`, {
        method: "POST",
        body: JSON.stringify({ uri: `http://127.0.0.1:${sdkPort}` }),
      });
      if (res.status >= 300) {
        throw new Error(`registering the deployment: ${res.status} ${res.body}`);
      }
      // The ingress learns of the new service a moment after the admin API answers.
      await waitFor("the bench service at the ingress", async () => {
        await ingress.call("first", null);
        return true;
      });
    } catch (err) {
      await self.stop();
      throw err;
    }
    return self;
  }

  private get pids(): number[] {
    return [this.server.pid!, this.sdk.pid!];
  }

  steps(n: number): Promise<number[]> {
    return this.ingress.steps(n);
  }

  firstLine(): Promise<number> {
    return this.ingress.firstLine();
  }

  throughput(clients: number, seconds: number): Promise<Throughput> {
    return this.ingress.throughput(clients, seconds, () => cpuMs(this.pids));
  }

  memory() {
    return { mb: rssOf(this.pids), what: "server + SDK process" };
  }

  async stop(): Promise<void> {
    await stopProcess(this.sdk);
    await stopProcess(this.server);
  }
}
