// Trigger filters: CEL expressions over `data` (the event's JSON-like payload) and
// `event_type` (string), with AutoKitteh's semantics. The only module that imports
// the CEL library (@bufbuild/cel, chosen in docs/cel.md).
import {
  celEnv,
  celFunc,
  type CelInput,
  celList,
  celMap,
  CelScalar,
  isCelError,
  isCelList,
  isCelMap,
  parse,
  plan,
} from "@bufbuild/cel";
import { strings } from "@bufbuild/cel/ext";
import {
  boundedStrings,
  Budget,
  BudgetExceeded,
  chargeStep,
  type Limits,
  meter,
  withBudget,
} from "./cel-budget.ts";
import { FILTER_LIMITS } from "./cel-limits.ts";

export type FilterVars = { data: unknown; event_type: string };

// A filter's verdict on an event. `error` says why it failed to evaluate (the filter
// then does not match): `overBudget` if it ran out of its budget (cel-budget.ts),
// `celError` if CEL's evaluation gave an error (no such key, division by zero...).
export type FilterOutcome = {
  match: boolean;
  error?: string;
  overBudget?: boolean;
  celError?: boolean;
};

export type CompiledFilter = {
  source: string;
  // The parsed filter (none for an empty one), for filter-guard.ts.
  expr?: FilterExpr;
  evaluate(vars: FilterVars, limits?: Limits): FilterOutcome;
  matches(vars: FilterVars): boolean;
};

export class FilterError extends Error {
  position?: { line: number; column: number };

  constructor(message: string, position?: { line: number; column: number }) {
    super(
      position ? `filter: ${position.line}:${position.column}: ${message}` : `filter: ${message}`,
    );
    this.name = "FilterError";
    this.position = position;
  }
}

const { INT, DOUBLE, DYN } = CelScalar;

// Filters come from manifests and handlers: bounded in length, nesting and work. A
// filter has no loops of its own, but macros (`all`, `exists`, `map`, `filter`) iterate,
// and nested ones multiply: every iteration of every macro counts against MAX_STEPS in
// one evaluation, and every call against the units of its budget (cel-budget.ts), after
// which the filter does not match.
export const MAX_FILTER_CHARS = 4096;
export const MAX_FILTER_DEPTH = 64;
const STEP = "__pounce_step";

// Integer JSON numbers become CEL ints (see toCel), so let them mix with doubles in
// arithmetic as users expect (`data.price * 1.5`); plain CEL has no such overloads.
const mixed = [
  ["_+_", (a: number, b: number) => a + b],
  ["_-_", (a: number, b: number) => a - b],
  ["_*_", (a: number, b: number) => a * b],
  ["_/_", (a: number, b: number) => a / b],
] as const;
const env = celEnv({
  funcs: [
    ...strings,
    ...boundedStrings,
    // Wraps each macro's loop condition (see limitSteps).
    celFunc(STEP, [DYN], DYN, (cond) => {
      chargeStep();
      return cond;
    }),
    ...mixed.flatMap(([op, f]) => [
      celFunc(op, [INT, DOUBLE], DOUBLE, (a, b) => f(Number(a), b)),
      celFunc(op, [DOUBLE, INT], DOUBLE, (a, b) => f(a, Number(b))),
    ]),
  ],
});
meter(env.funcs as unknown as Parameters<typeof meter>[0]);

const VARIABLES = new Set(["data", "event_type"]);
// Type names are identifiers too (`type(x) == string`).
const TYPES = new Set([
  "int",
  "uint",
  "double",
  "bool",
  "string",
  "bytes",
  "list",
  "map",
  "null_type",
  "type",
  "dyn",
]);

const CACHE_SIZE = 1000;
const cache = new Map<string, CompiledFilter>();

export function compileFilter(source: string): CompiledFilter {
  const hit = cache.get(source);
  if (hit) {
    // Re-insert to keep the most recently used entries.
    cache.delete(source);
    cache.set(source, hit);
    return hit;
  }
  const filter: CompiledFilter = source.trim() ? compile(source) : {
    source,
    evaluate: () => ({ match: true }),
    matches: () => true,
  };
  cache.set(source, filter);
  if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value!);
  return filter;
}

export function checkFilter(source: string): string | undefined {
  try {
    compileFilter(source);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

function compile(source: string): CompiledFilter {
  if (source.length > MAX_FILTER_CHARS) {
    throw new FilterError(`longer than ${MAX_FILTER_CHARS} characters`);
  }
  if (nesting(source) > MAX_FILTER_DEPTH) {
    throw new FilterError(`nested deeper than ${MAX_FILTER_DEPTH} levels`);
  }
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(source);
  } catch (e) {
    const start = (e as { location?: { start?: { line: number; column: number } } }).location
      ?.start;
    const message = (e as { rawMessage?: string }).rawMessage ?? (e as Error).message;
    throw new FilterError(
      `Syntax error: ${message}`,
      start && { line: start.line, column: start.column },
    );
  }
  checkNames(source, parsed);
  limitSteps(parsed.expr);
  let run: ReturnType<typeof plan>;
  try {
    run = plan(env, parsed);
  } catch (e) {
    throw new FilterError((e as Error).message, { line: 1, column: 1 });
  }
  const evaluate = (vars: FilterVars, limits = FILTER_LIMITS): FilterOutcome => {
    const budget = new Budget(limits);
    let result: unknown;
    try {
      const input = { data: convert(vars.data) as CelInput, event_type: vars.event_type };
      result = withBudget(budget, () => run(input));
    } catch (e) {
      // CEL errors are returned, not thrown: this is the budget or a library bug.
      if (!(e instanceof BudgetExceeded)) return { match: false, error: `filter: ${e}` };
    }
    if (budget.exceeded) return { match: false, error: budget.exceeded, overBudget: true };
    if (isCelError(result)) {
      return { match: false, error: `filter: ${result.message}`, celError: true };
    }
    return { match: result === true };
  };
  return {
    source,
    expr: parsed.expr,
    evaluate,
    matches: (vars) => evaluate(vars).match,
  };
}

// The library has no public type checker, so unknown variables and functions would
// only fail at evaluation (and the filter would silently never match). Catch the
// common typos (`data.path.endswith(...)`, `evnt_type`) at compile time instead.
export type FilterExpr = ReturnType<typeof parse>["expr"];
type Expr = FilterExpr;

function checkNames(source: string, parsed: ReturnType<typeof parse>): void {
  const where = (e: Expr, skipDot = false) => {
    const offset = (parsed.sourceInfo?.positions[String(e.id)] ?? 0) + (skipDot ? 1 : 0);
    const before = source.slice(0, offset).split("\n");
    return { line: before.length, column: before[before.length - 1].length + 1 };
  };
  const visit = (e: Expr | undefined, scope: Set<string>): void => {
    if (!e) return;
    const k = e.exprKind;
    switch (k.case) {
      case "identExpr":
        if (!scope.has(k.value.name) && !TYPES.has(k.value.name)) {
          throw new FilterError(`Unknown variable: ${k.value.name}`, where(e));
        }
        return;
      case "selectExpr":
        return visit(k.value.operand, scope);
      case "callExpr": {
        const name = k.value.function;
        const qualified = k.value.target && qualifiedName(k.value.target);
        const namespaced = qualified !== undefined && !scope.has(qualified.split(".")[0]) &&
          env.funcs.find(`${qualified}.${name}`);
        // Operators (`_&&_`, `@in`, ...) come from the parser, never from users.
        if (/^[A-Za-z]/.test(name) && !namespaced && !env.funcs.find(name)) {
          throw new FilterError(`Unknown function: ${name}`, where(e, !!k.value.target));
        }
        if (!namespaced) visit(k.value.target, scope);
        for (const a of k.value.args) visit(a, scope);
        return;
      }
      case "listExpr":
        for (const a of k.value.elements) visit(a, scope);
        return;
      case "structExpr":
        for (const entry of k.value.entries) {
          if (entry.keyKind.case === "mapKey") visit(entry.keyKind.value, scope);
          visit(entry.value, scope);
        }
        return;
      case "comprehensionExpr": {
        const c = k.value;
        visit(c.iterRange, scope);
        visit(c.accuInit, scope);
        const inner = new Set([...scope, c.iterVar, c.iterVar2, c.accuVar]);
        visit(c.loopCondition, inner);
        visit(c.loopStep, inner);
        visit(c.result, inner);
        return;
      }
    }
  };
  visit(parsed.expr, VARIABLES);
}

// How deep brackets nest, outside string literals (the parser recurses on each level).
function nesting(source: string): number {
  let depth = 0;
  let max = 0;
  let quote = "";
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) quote = "";
    } else if (c === "'" || c === '"') quote = c;
    else if (c === "(" || c === "[" || c === "{") max = Math.max(max, ++depth);
    else if (c === ")" || c === "]" || c === "}") depth--;
  }
  return max;
}

// Makes every macro's loop condition count one step (the STEP function).
function limitSteps(e: Expr | undefined): void {
  if (!e) return;
  const k = e.exprKind;
  switch (k.case) {
    case "selectExpr":
      return limitSteps(k.value.operand);
    case "callExpr":
      limitSteps(k.value.target);
      for (const a of k.value.args) limitSteps(a);
      return;
    case "listExpr":
      for (const a of k.value.elements) limitSteps(a);
      return;
    case "structExpr":
      for (const entry of k.value.entries) {
        if (entry.keyKind.case === "mapKey") limitSteps(entry.keyKind.value);
        limitSteps(entry.value);
      }
      return;
    case "comprehensionExpr": {
      const c = k.value;
      for (const x of [c.iterRange, c.accuInit, c.loopCondition, c.loopStep, c.result]) {
        limitSteps(x);
      }
      const cond = c.loopCondition!;
      c.loopCondition = {
        ...cond,
        exprKind: { case: "callExpr", value: { function: STEP, args: [cond] } },
      } as Expr;
      return;
    }
  }
}

// `a.b.c` as a dotted name, or undefined if the expression is not such a chain.
function qualifiedName(e: Expr): string | undefined {
  const k = e.exprKind;
  if (k.case === "identExpr") return k.value.name;
  if (k.case === "selectExpr" && !k.value.testOnly && k.value.operand) {
    const left = qualifiedName(k.value.operand);
    return left && `${left}.${k.value.field}`;
  }
  return undefined;
}

// JSON numbers are all doubles; integral ones become CEL ints so that
// `data.count == 3`, `data.count + 1 == 4`, `data.items[data.i]` and `%` work.
// Objects and arrays become CEL maps and lists whose members are converted when first
// read, and kept: converting a big event up front would hold the event loop, and the
// library would convert a plain object again at every access. One event is matched
// against many triggers, so keep its converted payload.
const converted = new WeakMap<object, unknown>();

function convert(data: unknown): unknown {
  if (typeof data !== "object" || data === null) return toCel(data);
  let out = converted.get(data);
  if (out === undefined) converted.set(data, out = toCel(data));
  return out;
}

function toCel(v: unknown): CelInput {
  if (typeof v === "number") return Number.isSafeInteger(v) ? BigInt(v) : v;
  if (Array.isArray(v)) return celList(lazyArray(v));
  if (typeof v === "object" && v !== null && isPlain(v)) return celMap(new LazyMap(v));
  return v as CelInput;
}

// A member as read: objects and arrays are converted once, numbers each time (cheaply).
function member(raw: unknown, keep: (v: CelInput) => void): CelInput {
  if (typeof raw !== "object" || raw === null || isCelMap(raw) || isCelList(raw)) {
    return toCel(raw);
  }
  const v = toCel(raw);
  keep(v);
  return v;
}

class LazyMap extends Map<string, CelInput> {
  constructor(o: object) {
    super(Object.entries(o));
  }

  override get(key: string): CelInput | undefined {
    const raw = super.get(key);
    return raw === undefined ? undefined : member(raw, (v) => super.set(key, v));
  }

  override forEach(
    fn: (value: CelInput, key: string, map: Map<string, CelInput>) => void,
    self?: unknown,
  ): void {
    for (const key of super.keys()) fn.call(self, this.get(key)!, key, this);
  }

  override entries(): MapIterator<[string, CelInput]> {
    const keys = super.keys();
    return (function* (map) {
      for (const key of keys) yield [key, map.get(key)!] as [string, CelInput];
    })(this) as unknown as MapIterator<[string, CelInput]>;
  }

  override values(): MapIterator<CelInput> {
    const keys = super.keys();
    return (function* (map) {
      for (const key of keys) yield map.get(key)!;
    })(this) as unknown as MapIterator<CelInput>;
  }

  override [Symbol.iterator](): MapIterator<[string, CelInput]> {
    return this.entries();
  }
}

function lazyArray(raw: unknown[]): CelInput[] {
  const done: CelInput[] = [];
  return new Proxy(raw as CelInput[], {
    get(target, prop, receiver) {
      if (typeof prop === "string") {
        const i = Number(prop);
        if (Number.isInteger(i) && i >= 0 && i < target.length) {
          return i in done ? done[i] : member(target[i], (v) => (done[i] = v));
        }
      }
      return Reflect.get(target, prop, receiver);
    },
  });
}

function isPlain(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}
