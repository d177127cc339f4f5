// The work budget of one filter evaluation. Every CEL function call is charged before it
// runs, by the size of what it is given (characters of strings and bytes, items of lists
// and maps), and after, by the size of what it returns; a macro iteration is a call too.
// Past the budget, or past the evaluation's deadline, the evaluation stops with
// BudgetExceeded. Charging before the call keeps any one call from doing much more work
// than the budget left: the calls whose work is not linear in their inputs are charged
// for what they really do (`matches`) or replaced by linear ones (`replace`, below).
import { type CelFunc, celMethod, CelScalar, isCelList, isCelMap } from "@bufbuild/cel";

export class BudgetExceeded extends Error {
  override name = "BudgetExceeded";
}

export type Limits = {
  // Units of work: one per call, plus the sizes it is charged.
  units: number;
  // Macro iterations (`all`, `exists`, `map`, ...), in all.
  steps: number;
  // Wall-clock milliseconds, checked at every call.
  ms: number;
};

export class Budget {
  units = 0;
  steps = 0;
  // Why the evaluation stopped, once it has: checked after the run too, because CEL's
  // `||` and `&&` absorb an error when their other side decides.
  exceeded?: string;
  private readonly deadline: number;

  constructor(readonly limits: Limits) {
    this.deadline = performance.now() + limits.ms;
  }

  charge(units: number): void {
    this.units += units;
    if (this.units > this.limits.units) {
      this.stop(`more than ${this.limits.units} units of work`);
    }
    if (performance.now() > this.deadline) this.stop(`took longer than ${this.limits.ms} ms`);
  }

  step(): void {
    if (++this.steps > this.limits.steps) {
      this.stop(`more than ${this.limits.steps} macro iterations`);
    }
  }

  private stop(why: string): never {
    this.exceeded ??= `filter exceeded its budget: ${why}`;
    throw new BudgetExceeded(this.exceeded);
  }
}

// The budget of the evaluation running now (evaluation is synchronous: one at a time).
let active: Budget | undefined;

export function withBudget<T>(budget: Budget, run: () => T): T {
  const outer = active;
  active = budget;
  try {
    return run();
  } finally {
    active = outer;
  }
}

export function chargeStep(): void {
  active?.step();
}

// Functions whose work grows with the whole depth of their arguments, not only their
// top-level size: deep comparison, list membership, joining and formatting.
const DEEP = new Set(["_==_", "_!=_", "@in", "join", "format"]);

type Group = { call(id: number, target: unknown, args: unknown[]): unknown };
type Resolver = { find(name: string): Group | undefined } & Iterable<CelFunc>;

// Wraps every function group of an environment so that its calls are charged.
export function meter(funcs: Resolver): void {
  const names = new Set([...funcs].map((f) => f.name));
  for (const name of names) {
    const group = funcs.find(name)!;
    const call = group.call.bind(group);
    const deep = DEEP.has(name);
    group.call = (id, target, args) => {
      const b = active;
      if (!b) return call(id, target, args);
      const left = b.limits.units - b.units;
      let cost = 1;
      if (name === "_+_" && isCelList(args[0]) && isCelList(args[1])) {
        // Lists are concatenated as views, without copying (what a `map` builds on).
        cost += Math.min(args[0].size, args[1].size);
      } else {
        if (target !== undefined) cost += weight(target, deep, left);
        for (const a of args) cost += weight(a, deep && !(name === "@in" && isCelMap(a)), left);
      }
      // RE2 runs in time proportional to the text times the pattern.
      if (name === "matches") {
        const [text, pattern] = target === undefined ? args : [target, args[0]];
        cost += size(text) * Math.max(1, size(pattern));
      }
      b.charge(cost);
      const result = call(id, target, args);
      b.charge(name === "_+_" && isCelList(result) ? 1 : weight(result, false, 0));
      return result;
    };
  }
}

function size(v: unknown): number {
  return typeof v === "string" || v instanceof Uint8Array ? v.length : 0;
}

// Values of an event are converted once (cel.ts), so their deep weights are kept.
const deepWeights = new WeakMap<object, number>();

// How much of a value there is: characters, bytes, items (deep: of all its levels,
// counting no further than `limit`).
function weight(v: unknown, deep: boolean, limit: number): number {
  if (typeof v === "string" || v instanceof Uint8Array) return v.length;
  if (!isCelList(v) && !isCelMap(v)) return 1;
  if (!deep) return v.size + 1;
  const known = deepWeights.get(v);
  if (known !== undefined) return known;
  let total = 1;
  const values = isCelList(v) ? v.values() : v.values();
  for (const x of values) {
    total += weight(x, true, limit - total) + (isCelMap(v) ? 1 : 0);
    if (total > limit) return total;
  }
  deepWeights.set(v, total);
  return total;
}

const { STRING, INT } = CelScalar;

// The strings extension's `replace` copies the whole string once per replacement, and
// with an empty pattern inserts at one place over and over. This one does cel-go's (Go's
// strings.Replace): n < 0 replaces all, an empty pattern matches between characters, and
// the result's size is charged before it is built.
function replace(this: string, from: string, to: string, n?: bigint): string {
  const limit = n === undefined || n < 0n ? Infinity : Number(n);
  if (limit === 0) return this;
  let parts: string[];
  if (from === "") {
    const chars = Array.from(this);
    parts = limit > chars.length ? ["", ...chars, ""] : ["", ...chars.slice(0, limit - 1)];
    if (limit <= chars.length) parts.push(chars.slice(limit - 1).join(""));
  } else if (limit === Infinity) {
    parts = this.split(from);
  } else {
    parts = [];
    let last = 0;
    for (
      let i = this.indexOf(from);
      i !== -1 && parts.length < limit;
      i = this.indexOf(from, last)
    ) {
      parts.push(this.slice(last, i));
      last = i + from.length;
    }
    parts.push(this.slice(last));
  }
  const joined = parts.length - 1;
  // Each piece costs an allocation, worth some characters of copying.
  active?.charge(16 * joined + this.length + joined * Math.max(0, to.length - from.length));
  return parts.join(to);
}

// The extension's case functions build their result a character at a time.
function lowerAscii(this: string): string {
  return this.replace(/[A-Z]+/g, (s) => s.toLowerCase());
}

function upperAscii(this: string): string {
  return this.replace(/[a-z]+/g, (s) => s.toUpperCase());
}

export const boundedStrings = [
  celMethod("replace", STRING, [STRING, STRING], STRING, replace),
  celMethod("replace", STRING, [STRING, STRING, INT], STRING, replace),
  celMethod("lowerAscii", STRING, [], STRING, lowerAscii),
  celMethod("upperAscii", STRING, [], STRING, upperAscii),
];
