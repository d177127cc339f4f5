// The equality guard of a subscription's filter: a top-level conjunct `<path> == <literal>`
// (`data.x.y == 5`, `event_type == "push"`, or reversed). The filter can only match an
// event whose value at the path equals the literal, so subscriptions are stored with the
// guard (indexed) and an event reads only those whose guard it meets, plus the unguarded.
//
// A guard must never exclude a subscription whose filter would match. It is kept as
// canonical text on both sides: CEL compares int, uint and double by numeric value (an
// event's `5` is an int, `5.0 == 5` holds), and other scalars only to their own type, so
// numbers canonicalize by value and the rest by type and value. Anything else (`||`, `!=`,
// functions, `has()`, two paths, bytes, large ints...) gives no guard.
import { compileFilter, type FilterExpr } from "./cel.ts";

export type Guard = {
  // JSON array of the path's keys, from the variable: `["data","body","json","n"]`.
  path: string;
  value: string;
};

type Expr = FilterExpr;

// Past 2^53 a JSON number is not exact; no guard rather than reason about rounding.
const MAX_EXACT = 2n ** 53n;

// The guard of a filter, or undefined (also for a filter that does not compile). The
// filter is parsed once: compiled filters are cached (cel.ts).
export function filterGuard(source: string): Guard | undefined {
  let expr: Expr | undefined;
  try {
    expr = compileFilter(source).expr;
  } catch {
    return undefined;
  }
  for (const conjunct of conjuncts(expr)) {
    const guard = equality(conjunct);
    if (guard) return guard;
  }
  return undefined;
}

// `a && b && c` → [a, b, c] (the parser nests `&&` calls).
function conjuncts(e: Expr | undefined): Expr[] {
  if (!e) return [];
  const k = e.exprKind;
  if (k.case === "callExpr" && k.value.function === "_&&_" && !k.value.target) {
    return k.value.args.flatMap(conjuncts);
  }
  return [e];
}

function equality(e: Expr): Guard | undefined {
  const k = e.exprKind;
  if (k.case !== "callExpr" || k.value.function !== "_==_" || k.value.target) return undefined;
  if (k.value.args.length !== 2) return undefined;
  const [a, b] = k.value.args;
  const [pa, pb] = [pathOf(a), pathOf(b)];
  const path = pa ?? pb;
  // One side a path, the other a literal.
  const value = pa ? literal(b) : pb ? literal(a) : undefined;
  return path && value !== undefined ? { path: JSON.stringify(path), value } : undefined;
}

// `data`, `data.a.b`, `data["a"].b` or `event_type` as keys; undefined for anything else.
function pathOf(e: Expr): string[] | undefined {
  const k = e.exprKind;
  switch (k.case) {
    case "identExpr":
      return k.value.name === "data" || k.value.name === "event_type" ? [k.value.name] : undefined;
    case "selectExpr": {
      if (k.value.testOnly || !k.value.operand) return undefined;
      const left = pathOf(k.value.operand);
      return left && left[0] === "data" ? [...left, k.value.field] : undefined;
    }
    case "callExpr": {
      if (k.value.function !== "_[_]" || k.value.target || k.value.args.length !== 2) {
        return undefined;
      }
      const [operand, index] = k.value.args;
      const key = index.exprKind.case === "constExpr" &&
          index.exprKind.value.constantKind.case === "stringValue"
        ? index.exprKind.value.constantKind.value
        : undefined;
      const left = pathOf(operand);
      return left && left[0] === "data" && key !== undefined ? [...left, key] : undefined;
    }
  }
  return undefined;
}

function literal(e: Expr): string | undefined {
  const k = e.exprKind;
  if (k.case !== "constExpr") return undefined;
  const c = k.value.constantKind;
  switch (c.case) {
    case "nullValue":
      return "null";
    case "boolValue":
      return `b:${c.value}`;
    case "stringValue":
      return `s:${c.value}`;
    case "int64Value":
    case "uint64Value": {
      const n = BigInt(c.value);
      return n <= MAX_EXACT && n >= -MAX_EXACT ? `n:${String(Number(n))}` : undefined;
    }
    case "doubleValue":
      return Number.isFinite(c.value) ? `n:${String(c.value)}` : undefined;
  }
  return undefined;
}
