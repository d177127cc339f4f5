// The Restate side of `npm run bench:peers` (scripts/bench/peers/restate.ts): one service
// whose handlers mirror scripts/bench/project/bench.py. Copied into the scratch dir and run
// there, so the SDK resolves from its node_modules. Times are wall-clock ms (the same clock
// as the client's performance.timeOrigin + performance.now()).

// The SDK calls Promise.withResolvers, which Node 20 lacks.
Promise.withResolvers ??= function () {
  let resolve, reject;
  const promise = new this((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};
const restate = await import("@restatedev/restate-sdk");

const now = () => performance.timeOrigin + performance.now();

const bench = restate.service({
  name: "bench",
  handlers: {
    // Figure 1: `n` trivial durable steps, each timed here.
    steps: async (ctx, n) => {
      const times = [];
      for (let i = 0; i < n; i++) {
        const t = performance.now();
        await ctx.run("noop", () => i);
        times.push(performance.now() - t);
      }
      return times;
    },
    // Figure 2: when the handler's first line ran.
    first: (_ctx) => Promise.resolve(now()),
    // Figure 3: a one-step workflow, answered.
    trivial: async (ctx) => {
      await ctx.run("noop", () => 1);
      return "ok";
    },
  },
});

const port = await restate.endpoint().bind(bench).listen(Number(process.env.PORT));
console.log(`listening ${port}`);
