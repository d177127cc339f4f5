// Reading unverified request bodies (src/integrations/unverified-body.ts): refused from
// Content-Length before a byte is pulled, cut at the limit without one, bounded across
// requests by a byte budget that is given back, and given up when it does not arrive.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ByteBudget, readUnverified } from "../../src/integrations/unverified-body.ts";

const enc = (s: string) => new TextEncoder().encode(s);

// A request whose body is handed out by the test, chunk by chunk.
function request(headers: Record<string, string> = {}) {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let pulls = 0;
  const body = new ReadableStream<Uint8Array>({
    start: (c) => void (controller = c),
    pull: () => void pulls++,
  }, { highWaterMark: 0 });
  const req = new Request(
    "http://x/",
    { method: "POST", headers, body, duplex: "half" } as RequestInit,
  );
  return {
    req,
    send: (s: string) => controller.enqueue(enc(s)),
    end: () => controller.close(),
    pulls: () => pulls,
  };
}

const asText = (b: { text(): string }) => b.text();

test("a Content-Length over the limit is refused before the body is pulled", async () => {
  const r = request({ "content-length": "11" });
  assert.deepEqual(await readUnverified(r.req, 10, asText), {
    status: 413,
    error: "body larger than 10 bytes",
  });
  assert.equal(r.pulls(), 0);
  const bad = request({ "content-length": "1e3" });
  assert.equal((await readUnverified(bad.req, 10, asText) as { status: number }).status, 400);
});

test("without a length, a body is cut at the limit; within it, read whole", async () => {
  const budget = new ByteBudget(100);
  const big = request();
  const reading = readUnverified(big.req, 10, asText, { budget });
  big.send("123456");
  big.send("78901");
  assert.equal((await reading as { status: number }).status, 413);
  const ok = request();
  const read = readUnverified(ok.req, 10, asText, { budget });
  ok.send("12345");
  ok.send("67890");
  ok.end();
  assert.equal(await read, "1234567890");
  assert.equal(budget.free, 100);
});

test("bodies read at once share a byte budget: past it, 503, and it is given back", async () => {
  const budget = new ByteBudget(10);
  const a = request();
  const b = request();
  let heldByVerify = -1;
  const readA = readUnverified(a.req, 100, (body) => {
    heldByVerify = budget.free;
    return body.text();
  }, { budget });
  const readB = readUnverified(b.req, 100, asText, { budget });
  a.send("123456");
  await new Promise((r) => setImmediate(r));
  b.send("123456");
  const refused = await readB as { status: number; headers?: Record<string, string> };
  assert.equal(refused.status, 503);
  assert.equal(refused.headers?.["Retry-After"], "5");
  // A declared length over what is free is refused at once.
  const c = request({ "content-length": "5" });
  assert.equal(
    (await readUnverified(c.req, 100, asText, { budget }) as { status: number }).status,
    503,
  );
  a.end();
  assert.equal(await readA, "123456");
  assert.equal(heldByVerify, 4, "the body counts until it is verified");
  assert.equal(budget.free, 10);
});

test("a body that does not arrive in time is given up", async () => {
  const budget = new ByteBudget(100);
  const slow = request();
  const reading = readUnverified(slow.req, 100, asText, { budget, timeoutMs: 50 });
  slow.send("partial");
  assert.deepEqual(await reading, { status: 408, error: "body not received in time" });
  assert.equal(budget.free, 100);
});
