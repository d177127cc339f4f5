// Compares the installed CEL libraries: cel-spec conformance (filter-relevant
// files only) and speed on a typical trigger filter.
// Run: node --import tsx scripts/cel-compare.ts
import {
  celEnv,
  celUint,
  isCelError,
  isCelList,
  isCelMap,
  isCelUint,
  parse as bufParse,
  plan as bufPlan,
} from "@bufbuild/cel";
import { Environment } from "@marcbachmann/cel-js";
import { evaluate as chromeEvaluate, parse as chromeParse } from "cel-js";
import { tests as conformance } from "@bufbuild/cel-spec/testdata/conformance.js";
import { spawnSync } from "node:child_process";
import os from "node:os";

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObj = { [k: string]: Json };
type Vars = Record<string, unknown>;

type Lib = {
  name: string;
  // Returns an evaluator; throws on compile errors. The evaluator throws (or
  // returns an Error) on evaluation errors.
  compile(expr: string): (vars: Vars) => unknown;
  // Converts a conformance binding (protobuf JSON Value) to the library's input.
  input(v: JsonObj): unknown;
};

// Files of the cel-spec suite that cover what trigger filters use.
const FILES = [
  "basic",
  "comparisons",
  "conversions",
  "fields",
  "fp_math",
  "integer_math",
  "lists",
  "logic",
  "macros",
  "parse",
  "string",
];

// ---- libraries ----

const bufEnv = celEnv();
const marcEnv = new Environment({
  unlistedVariablesAreDyn: true,
  homogeneousAggregateLiterals: false,
});
// @marcbachmann/cel-js does not export its uint class.
const MarcUint = (marcEnv.evaluate("0u") as object).constructor as new (v: bigint) => unknown;

const libs: Lib[] = [
  {
    name: "@bufbuild/cel 0.6.1",
    compile(expr) {
      const parsed = bufParse(expr);
      const run = bufPlan(bufEnv, parsed);
      return (vars) => {
        const r = run(vars as never);
        if (isCelError(r)) throw r;
        return r;
      };
    },
    input: (v) =>
      fromProtoValue(v, {
        int: (s) => BigInt(s),
        uint: (s) => celUint(BigInt(s)),
        map: (entries) => new Map(entries as [never, never][]),
      }),
  },
  {
    name: "@marcbachmann/cel-js 8.0.0",
    compile(expr) {
      const run = marcEnv.parse(expr);
      return (vars) => run(vars);
    },
    input: (v) =>
      fromProtoValue(v, {
        int: (s) => BigInt(s),
        uint: (s) => new MarcUint(BigInt(s)),
        map: (entries) => new Map(entries),
      }),
  },
  {
    name: "cel-js 0.8.2",
    compile(expr) {
      const r = chromeParse(expr);
      if (!r.isSuccess) throw new Error(r.errors.join("; "));
      return (vars) => chromeEvaluate(r.cst, vars);
    },
    input: (v) =>
      fromProtoValue(v, {
        int: (s) => Number(s),
        uint: (s) => Number(s),
        map: (entries) => Object.fromEntries(entries.map(([k, x]) => [String(k), x])),
      }),
  },
];

// ---- conformance value helpers ----

type Make = {
  int(s: string): unknown;
  uint(s: string): unknown;
  map(entries: [unknown, unknown][]): unknown;
};

function fromProtoValue(v: JsonObj, make: Make): unknown {
  const [kind, x] = Object.entries(v)[0] ?? ["boolValue", true];
  switch (kind) {
    case "nullValue":
      return null;
    case "boolValue":
    case "stringValue":
      return x;
    case "int64Value":
      return make.int(String(x));
    case "uint64Value":
      return make.uint(String(x));
    case "doubleValue":
      return Number(x);
    case "bytesValue":
      return new Uint8Array(Buffer.from(String(x), "base64"));
    case "listValue":
      return (((x as JsonObj).values ?? []) as JsonObj[]).map((e) => fromProtoValue(e, make));
    case "mapValue":
      return make.map(
        (((x as JsonObj).entries ?? []) as JsonObj[]).map((e) => [
          fromProtoValue(e.key as JsonObj, make),
          fromProtoValue(e.value as JsonObj, make),
        ]),
      );
  }
  throw new Unsupported(kind);
}

class Unsupported extends Error {}

// Canonical form used to compare results across libraries. Numbers compare
// by value (cel-js has no int/double distinction), map keys as strings.
function canon(v: unknown): Json {
  if (v === null || v === undefined) return null;
  if (typeof v === "boolean" || typeof v === "string") return v;
  if (typeof v === "bigint") return { n: v.toString() };
  if (typeof v === "number") return { n: Number.isInteger(v) ? BigInt(v).toString() : String(v) };
  if (isCelUint(v)) return { n: v.value.toString() };
  if (v instanceof Uint8Array) return { b: Buffer.from(v).toString("hex") };
  if (isCelList(v) || Array.isArray(v)) return [...(v as Iterable<unknown>)].map(canon);
  let entries: [unknown, unknown][];
  if (isCelMap(v) || v instanceof Map) entries = [...(v as Map<unknown, unknown>).entries()];
  else if (typeof v === "object" && v.constructor === Object) entries = Object.entries(v);
  else if (typeof v === "object" && typeof (v as { valueOf(): unknown }).valueOf() === "bigint") {
    return { n: String((v as { valueOf(): unknown }).valueOf()) }; // marc uint
  } else return { other: String(v) };
  const keyed = entries.map(([k, x]): [string, Json] => [JSON.stringify(canon(k)), canon(x)]);
  return { map: Object.fromEntries(keyed.sort(([a], [b]) => (a < b ? -1 : 1))) };
}

// ---- conformance run ----

type Test = { original: JsonObj };
type Suite = { name: string; suites?: Suite[]; tests?: Test[] };

function collect(s: Suite): Test[] {
  return [...(s.tests ?? []), ...(s.suites ?? []).flatMap(collect)];
}

// Tests that need protobuf messages, type values or containers are out of
// scope: filters only see JSON-like data.
function inScope(t: JsonObj): boolean {
  const s = JSON.stringify(t);
  return !t.container && !t.checkOnly && !t.typedResult &&
    !/objectValue|typeValue|enumValue|messageType|TestAllTypes|google\.protobuf|"unknown"|anyEvalErrors|anyUnknowns/
      .test(s) &&
    !/\btype\b/.test(String(t.expr));
}

function runTest(lib: Lib, t: JsonObj): boolean {
  const bindings = (t.bindings ?? {}) as Record<string, JsonObj>;
  let vars: Vars;
  try {
    vars = Object.fromEntries(
      Object.entries(bindings).map(([k, b]) => [k, lib.input(b.value as JsonObj)]),
    );
  } catch {
    return false;
  }
  let result: unknown;
  try {
    result = lib.compile(String(t.expr))(vars);
    if (result instanceof Error) throw result;
  } catch {
    return t.evalError !== undefined;
  }
  if (t.evalError !== undefined) return false;
  const want = t.value === undefined ? true : fromProtoValue(t.value as JsonObj, {
    int: (s) => BigInt(s),
    uint: (s) => BigInt(s),
    map: (e) => new Map(e),
  });
  return JSON.stringify(canon(result)) === JSON.stringify(canon(want));
}

function pct(n: number, d: number): string {
  return d === 0 ? "-" : `${((100 * n) / d).toFixed(1)}%`;
}

const files = (conformance.suites as Suite[]).filter((s) => FILES.includes(s.name));
const totals = libs.map(() => 0);
let total = 0;
const rows: string[] = [];
for (const f of files) {
  const tests = collect(f).map((t) => t.original).filter(inScope);
  const passed = libs.map((lib) =>
    tests.filter((t) => {
      const ok = runTest(lib, t);
      if (!ok && process.env.CEL_FAILS && lib.name.includes(process.env.CEL_FAILS)) {
        console.error(`FAIL ${lib.name} ${f.name}/${String(t.name)}: ${String(t.expr)}`);
      }
      return ok;
    }).length
  );
  passed.forEach((p, i) => (totals[i] += p));
  total += tests.length;
  rows.push(
    `| ${f.name} | ${tests.length} | ${passed.map((p) => pct(p, tests.length)).join(" | ")} |`,
  );
}
rows.push(
  `| **overall** | **${total}** | ${totals.map((p) => `**${pct(p, total)}**`).join(" | ")} |`,
);

console.log(`## Conformance (cel-spec ${"v0.25.1"}, filter-relevant files)\n`);
console.log(`| file | tests | ${libs.map((l) => l.name).join(" | ")} |`);
console.log(`|---|---:|${libs.map(() => "---:").join("|")}|`);
console.log(rows.join("\n"));

// ---- timing ----

const data = {
  url: { path: "/api/dogs/woof", query: { a: "1" }, raw: "https://example.com/api/dogs/woof?a=1" },
  method: "GET",
  headers: {
    "content-type": "application/json",
    "user-agent": "curl/8.5.0",
    "x-request-id": "abc123",
  },
  body: { json: { name: "rex", count: 3, tags: ["a", "b"], nested: { ok: true } } },
  raw_body: "",
};
const FILTERS = [
  "data.url.path.endsWith('/woof') && data.method == 'GET' && size(data.headers) > 0",
  "data.method == 'GET' && size(data.headers) > 0",
];
const N = 100_000;
const M = 10_000;

function time(fn: () => void, n: number): number {
  for (let i = 0; i < Math.min(n, 1000); i++) fn(); // warm up
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn();
  return Number(process.hrtime.bigint() - t0) / 1e3 / n; // µs per op
}

console.log(
  `\n## Timing (${os.cpus().length} cores, ${
    os.cpus()[0]?.model.trim()
  }, Node ${process.version})\n`,
);
console.log(
  "µs per operation, lower is better. Evaluate: compile once, evaluate " +
    `${N / 1000}k times. Compile+eval: ${M / 1000}k times.\n`,
);
console.log("| filter | library | evaluate (µs) | compile+eval (µs) |");
console.log("|---|---|---:|---:|");
for (const src of FILTERS) {
  for (const lib of libs) {
    let cells: string;
    try {
      const run = lib.compile(src);
      if (run({ data }) !== true) throw new Error(`unexpected result ${String(run({ data }))}`);
      const ev = time(() => run({ data }), N);
      const ce = time(() => lib.compile(src)({ data }), M);
      cells = `${ev.toFixed(2)} | ${ce.toFixed(1)}`;
    } catch (e) {
      cells = `n/a: ${(e as Error).message.split("\n")[0]} | n/a`;
    }
    console.log(`| \`${src}\` | ${lib.name} | ${cells} |`);
  }
}

// ---- regex semantics and safety ----
// CEL specifies RE2: no backtracking, and RE2 syntax such as `(?i)`.

const REGEX = [
  ["`'Hello'.matches('(?i)hello')` (RE2 flag)", "'Hello'.matches('(?i)hello')"],
  ["`s.matches('^(a+)+$')`, s = 25×a + `!`", "s.matches('^(a+)+$')"],
];
const s = "a".repeat(25) + "!";
console.log("\n## Regex (`matches`)\n");
console.log(`| case | ${libs.map((l) => l.name).join(" | ")} |`);
console.log(`|---|${libs.map(() => "---").join("|")}|`);
for (const [label, src] of REGEX) {
  const cells = libs.map((lib) => {
    const t0 = performance.now();
    try {
      const r = lib.compile(src)({ s });
      return `${String(r)} in ${(performance.now() - t0).toFixed(0)} ms`;
    } catch (e) {
      return `error: ${(e as Error).message.split("\n")[0]}`;
    }
  });
  console.log(`| ${label} | ${cells.join(" | ")} |`);
}

// ---- import cost ----

console.log("\n## Import time (fresh `node` process, median of 5)\n");
console.log("| library | import (ms) |");
console.log("|---|---:|");
for (
  const [name, mod] of [
    ["@bufbuild/cel", "@bufbuild/cel"],
    ["@marcbachmann/cel-js", "@marcbachmann/cel-js"],
    ["cel-js", "cel-js"],
  ]
) {
  const times = Array.from({ length: 5 }, () => {
    const code = `const t = performance.now(); await import(${JSON.stringify(mod)}); ` +
      "console.log(performance.now() - t);";
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", code], {
      encoding: "utf8",
    });
    return Number(r.stdout.trim());
  }).sort((a, b) => a - b);
  console.log(`| ${name} | ${times[2].toFixed(0)} |`);
}
