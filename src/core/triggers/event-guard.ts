// An event's side of a subscription's guard (filter-guard.ts), apart from the CEL library:
// it runs for every event, filters or not.

// The canonical text of the event's value at a guard's path, or undefined when no
// literal equals it (missing, a list, a map).
export function eventGuardValue(
  path: string,
  event: { data: unknown; eventType: string },
): string | undefined {
  const keys = JSON.parse(path) as string[];
  if (keys[0] === "event_type") return keys.length === 1 ? canonical(event.eventType) : undefined;
  let v = event.data;
  for (const key of keys.slice(1)) {
    if (typeof v !== "object" || v === null || Array.isArray(v) || !Object.hasOwn(v, key)) {
      return undefined;
    }
    v = (v as Record<string, unknown>)[key];
  }
  return canonical(v);
}

// A JSON scalar as guard text.
function canonical(v: unknown): string | undefined {
  if (v === null) return "null";
  switch (typeof v) {
    case "number":
      return Number.isFinite(v) ? `n:${String(v)}` : undefined;
    case "string":
      return `s:${v}`;
    case "boolean":
      return `b:${v}`;
  }
  return undefined;
}
