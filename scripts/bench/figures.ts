// The figures of issue 9, each measured against a running daemon (daemon.ts) with the
// benchmark project (project/) deployed.
import { type BenchDaemon, sleep } from "./daemon.ts";

type Print = Record<string, unknown>;

async function lastJson(d: BenchDaemon, sessionId: string): Promise<Print> {
  const prints = await d.prints(sessionId);
  const line = prints.reverse().find((p) => p.startsWith("{"));
  if (!line) throw new Error(`session ${sessionId} printed no result`);
  return JSON.parse(line);
}

async function runToEnd(d: BenchDaemon, trigger: string, body: unknown): Promise<string> {
  const res = await d.post(trigger, body);
  if (res.status !== 202) throw new Error(`${trigger}: ${res.status} ${res.body}`);
  const id = await d.sessionOf(String(res.headers["autokitteh-event-id"]));
  const s = await d.waitSession(id);
  if (s.state !== "completed") throw new Error(`session ${id} ${s.state}: ${s.error}`);
  return id;
}

// 1. One session calling a trivial @activity `steps` times: each step's duration, in ms,
// as the handler saw it.
export async function activitySteps(d: BenchDaemon, steps: number): Promise<number[]> {
  const id = await runToEnd(d, "steps", { n: steps });
  const times = (await lastJson(d, id)).steps_ms as number[];
  return times.slice(Math.floor(steps / 10)); // warm-up
}

// 2. Webhook request sent → the handler's first line, for sequential requests (a sync
// webhook: the answer carries the first line's time).
export async function firstLine(d: BenchDaemon, requests: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < requests; i++) {
    const sent = performance.timeOrigin + performance.now();
    const res = await d.post("first_line", { i });
    if (res.status !== 200) throw new Error(`first_line: ${res.status} ${res.body}`);
    times.push(Number(res.body) * 1000 - sent);
  }
  return times;
}

// 3. Trivial one-step sessions answered, with `clients` concurrent clients for `seconds`:
// sessions completed per second (from the database), and each request's latency. Given
// several nodes on one database, the requests go to them in turn (a round-robin client).
export async function throughput(
  d: BenchDaemon | BenchDaemon[],
  clients: number,
  seconds: number,
) {
  const nodes = Array.isArray(d) ? d : [d];
  let turn = 0;
  const from = Date.now();
  const until = from + seconds * 1000;
  const latencies: number[] = [];
  let failed = 0;
  await Promise.all(Array.from({ length: clients }, async () => {
    while (Date.now() < until) {
      const t = performance.now();
      const res = await nodes[turn++ % nodes.length].post("trivial", {});
      if (res.status === 200) latencies.push(performance.now() - t);
      else failed++;
    }
  }));
  const to = Date.now();
  // Let the last sessions finish, then count what completed inside the window.
  await sleep(1000);
  const [row] = await nodes[0].query(
    "SELECT count(*) AS n FROM sessions WHERE state = 'completed' AND entrypoint = 'bench.py:trivial' AND ended_at BETWEEN ? AND ?",
    [from, until],
  );
  const completed = Number(row.n);
  return {
    perSecond: completed / ((until - from) / 1000),
    latencies,
    failed,
    answered: latencies.length,
    window: to - from,
  };
}

// 4. `count` sessions waiting in next_event: wait until all are hibernated, then the
// daemon's RSS and its Python processes, then wake `wakes` of them one at a time.
export async function waiting(
  d: BenchDaemon,
  count: number,
  wakes: number,
  settleMs: number,
  clients = 16,
) {
  const started = Date.now();
  let next = 0;
  await Promise.all(Array.from({ length: clients }, async () => {
    while (next < count) {
      const n = next++;
      const res = await d.post("wait", { n });
      if (res.status !== 202) throw new Error(`wait: ${res.status} ${res.body}`);
    }
  }));
  const posted = Date.now();
  let hibernated = 0;
  for (;;) {
    const [row] = await d.query(
      "SELECT count(*) AS n FROM sessions WHERE hibernated = 1 AND entrypoint = 'bench.py:wait'",
    );
    hibernated = Number(row.n);
    if (hibernated >= count) break;
    const [bad] = await d.query(
      "SELECT count(*) AS n, max(error) AS error FROM sessions WHERE state IN ('error', 'stopped')",
    );
    if (Number(bad.n)) throw new Error(`${bad.n} sessions failed: ${bad.error}`);
    if (Date.now() - posted > 300_000) throw new Error(`only ${hibernated} of ${count} hibernated`);
    await sleep(500);
  }
  const allWaiting = Date.now();
  await sleep(settleMs); // the last runners exit; the daemon's heap settles
  const rss = d.rssMb();
  const processes = d.pythonProcesses();
  const latencies: number[] = [];
  const picks = new Set<number>();
  while (picks.size < Math.min(wakes, count)) picks.add(Math.floor(Math.random() * count));
  for (const n of picks) {
    const [row] = await d.query(
      "SELECT id FROM sessions WHERE entrypoint = 'bench.py:wait' AND json_extract(inputs, '$.body.json.n') = ?",
      [n],
    );
    const id = String(row.id);
    const sent = performance.timeOrigin + performance.now();
    const res = await d.post("feed", { n });
    if (res.status !== 202) throw new Error(`feed: ${res.status}`);
    await d.waitSession(id);
    latencies.push(Number((await lastJson(d, id)).woke_at) * 1000 - sent);
  }
  return {
    rss,
    processes,
    latencies,
    createSeconds: (posted - started) / 1000,
    settleSeconds: (allWaiting - started) / 1000,
  };
}

// 5. A session with `steps` recorded steps waits (hibernated); its wake-up replays them:
// the time from the event to the handler running live again, and the replay alone.
export async function replay(d: BenchDaemon, steps: number, key: number) {
  const res = await d.post("replay", { n: steps, key });
  const id = await d.sessionOf(String(res.headers["autokitteh-event-id"]));
  await d.waitSession(id, (s) => s.hibernated === true);
  const sent = performance.timeOrigin + performance.now();
  await d.post("feed", { n: key });
  await d.waitSession(id);
  const out = await lastJson(d, id);
  return {
    resume: Number(out.woke_at) * 1000 - sent,
    replay: (Number(out.replayed) - Number(out.started)) * 1000,
  };
}
