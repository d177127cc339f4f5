// The DBOS side of `npm run bench:peers` (scripts/bench/peers/dbos.ts): workflows that
// mirror scripts/bench/project/bench.py, started by a plain node:http server (one POST per
// workflow, its result as the JSON answer). Copied into the scratch dir and run there, so
// the SDK resolves from its node_modules. Times are wall-clock ms (the same clock as the
// client's performance.timeOrigin + performance.now()).
import { createServer } from "node:http";
import { DBOS } from "@dbos-inc/dbos-sdk";

const now = () => performance.timeOrigin + performance.now();

const workflows = {
  // Figure 1: `n` trivial durable steps, each timed here.
  steps: DBOS.registerWorkflow(async (n) => {
    const times = [];
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      await DBOS.runStep(() => Promise.resolve(i), { name: "noop" });
      times.push(performance.now() - t);
    }
    return times;
  }, { name: "steps" }),
  // Figure 2: when the workflow's first line ran.
  first: DBOS.registerWorkflow(() => Promise.resolve(now()), { name: "first" }),
  // Figure 3: a one-step workflow, answered.
  trivial: DBOS.registerWorkflow(async () => {
    await DBOS.runStep(() => Promise.resolve(1), { name: "noop" });
    return "ok";
  }, { name: "trivial" }),
};

DBOS.setConfig({
  name: "pounce-bench",
  systemDatabaseUrl: process.env.DBOS_SYSTEM_DATABASE_URL,
  logLevel: "warn",
});
await DBOS.launch();

const server = createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", async () => {
    const workflow = workflows[req.url.slice(1)];
    if (!workflow) {
      res.writeHead(404).end();
      return;
    }
    try {
      const text = Buffer.concat(chunks).toString("utf8");
      const out = await workflow(text ? JSON.parse(text) : undefined);
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(out));
    } catch (err) {
      res.writeHead(500).end(String(err));
    }
  });
});
server.listen(Number(process.env.PORT), "127.0.0.1", () => console.log("listening"));
