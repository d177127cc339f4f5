// The project manifest (`autokitteh.yaml`, versions v1 and v2): parsing and validation.
// Every error names the field path, e.g. `project.triggers[1].call: ...`; all of a
// manifest's errors are reported at once, one a line.
import {
  type Document,
  isMap,
  isScalar,
  isSeq,
  type Node,
  parseDocument,
  YAMLParseError,
} from "yaml";
import { z } from "zod";
import { checkFilter } from "../triggers/cel.ts";
import { parseSchedule, ScheduleError } from "../triggers/schedule-spec.ts";
import { canonicalEntrypoint } from "./entrypoint.ts";
import { ManifestError } from "./manifest-error.ts";
import { suggestion } from "../util/did-you-mean.ts";

export const MAX_MANIFEST_BYTES = 1 << 20;
// Hostile manifests: YAML nested deeper than this is refused before parsing (the parser
// recurses per level), and lists are bounded.
export const MAX_MANIFEST_DEPTH = 100;
export const MAX_MANIFEST_ITEMS = 1000;
// Keys and list items in all, counted after parsing and before any other work.
export const MAX_MANIFEST_NODES = 50_000;

export const MAX_NAME_LENGTH = 128;
const name = z.string().max(MAX_NAME_LENGTH, `must be at most ${MAX_NAME_LENGTH} characters`)
  .regex(/^\w+$/, "must be letters, digits and underscores only");
const list = <T extends z.ZodType>(item: T) =>
  z.array(item).max(MAX_MANIFEST_ITEMS, `must have at most ${MAX_MANIFEST_ITEMS} items`);

const varSchema = z.object({
  name,
  value: z.string().optional(),
  description: z.string().optional(),
  secret: z.boolean().optional(),
}).strict();

const connectionSchema = z.object({
  name,
  integration: z.string().min(1).max(
    MAX_NAME_LENGTH,
    `must be at most ${MAX_NAME_LENGTH} characters`,
  ),
  vars: list(varSchema).optional(),
}).strict();

const callPattern = /^[\w./-]+\.py(:| )\w+$/;
// AutoKitteh's Starlark handlers (`program.star:f`): Pounce runs Python only.
const starlarkCall = /^[\w./-]+\.star(:| )\w+$/;
const entrypoint = z.string().superRefine((s, ctx) => {
  if (callPattern.test(s)) return;
  ctx.addIssue({
    code: "custom",
    message: starlarkCall.test(s)
      ? "Starlark (.star) handlers are not supported: Pounce runs Python (.py) only"
      : 'must look like "file.py:function"',
  });
});

const triggerSchema = z.object({
  name,
  type: z.enum(["webhook", "schedule", "connection"]).optional(),
  webhook: z.object({}).strict().nullable().optional(),
  schedule: z.string().min(1).optional(),
  timezone: z.string().min(1).optional(),
  connection: z.string().min(1).optional(),
  event_type: z.string().optional(),
  filter: z.string().optional(),
  call: entrypoint.optional(),
  // AutoKitteh's earlier name for `call`.
  entrypoint: entrypoint.optional(),
  // AutoKitteh's earlier trigger data (e.g. an HTTP connection's `path`): accepted, ignored.
  data: z.record(z.string(), z.unknown()).optional(),
  is_durable: z.boolean().optional(),
  is_sync: z.boolean().optional(),
}).strict();

const projectSchema = z.object({
  name,
  display_name: z.string().optional(),
  vars: list(varSchema).optional(),
  connections: list(connectionSchema).optional(),
  triggers: list(triggerSchema).optional(),
}).strict();

const manifestSchema = z.object({
  version: z.enum(["v1", "v2"], { message: 'must be "v1" or "v2"' }),
  project: projectSchema,
}).strict();

// The fields a mapping at `path` may have, for "did you mean" on an unknown one.
function fieldsAt(path: PropertyKey[]): string[] {
  const named = path.filter((p) => typeof p === "string");
  const shapes: Record<string, { shape: object }> = {
    "": manifestSchema,
    project: projectSchema,
    vars: varSchema,
    connections: connectionSchema,
    triggers: triggerSchema,
  };
  return Object.keys(shapes[String(named.at(-1) ?? "")]?.shape ?? {});
}

export type ManifestVar = { name: string; value: string; description?: string; secret: boolean };

export type ManifestTrigger = {
  name: string;
  type: "webhook" | "schedule" | "connection";
  schedule?: string;
  timezone?: string;
  connection?: string;
  eventType: string;
  filter: string;
  call?: string;
  isDurable: boolean;
  isSync: boolean;
};

export type Manifest = {
  version: "v1" | "v2";
  project: {
    name: string;
    displayName?: string;
    vars: ManifestVar[];
    connections: { name: string; integration: string; vars: ManifestVar[] }[];
    triggers: ManifestTrigger[];
  };
  // Fields AutoKitteh accepts that Pounce reads and ignores, one warning a field.
  ignored?: string[];
};

type Report = (path: readonly PropertyKey[], message: string) => void;

function fieldPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    out += typeof part === "number" ? `[${part}]` : out ? `.${String(part)}` : String(part);
  }
  return out || "manifest";
}

function valueAt(doc: unknown, path: readonly PropertyKey[]): unknown {
  let cur = doc;
  for (const key of path) {
    cur = cur && typeof cur === "object" ? (cur as Record<PropertyKey, unknown>)[key] : undefined;
  }
  return cur;
}

// Checks a name given outside a manifest (e.g. a deploy's project_name) by the manifest's
// rules; throws ManifestError naming the field.
export function checkName(field: string, value: string): string {
  const parsed = name.safeParse(value);
  if (!parsed.success) throw new ManifestError(`${field}: ${parsed.error.issues[0].message}`);
  return value;
}

// Parses and validates a manifest; throws ManifestError listing every bad field.
export function parseManifest(text: string): Manifest {
  if (new TextEncoder().encode(text).length > MAX_MANIFEST_BYTES) {
    throw new ManifestError(`manifest: larger than ${MAX_MANIFEST_BYTES} bytes`);
  }
  // Counted before parsing (which takes seconds at that size): lines that open a key or
  // an item bound what the document holds, as block scalars are not that long here.
  if (entryLines(text) > MAX_MANIFEST_NODES) {
    throw new ManifestError(`manifest: more than ${MAX_MANIFEST_NODES} keys and items`);
  }
  const depth = yamlNesting(text);
  if (depth > MAX_MANIFEST_DEPTH) {
    throw new ManifestError(`manifest: nested deeper than ${MAX_MANIFEST_DEPTH} levels`);
  }
  let doc: unknown;
  try {
    // The parser's own duplicate-key check compares every key with every other (a mapping
    // of 100k keys takes minutes): checkNodes does it in one pass.
    const parsed = parseDocument(text, { uniqueKeys: false });
    if (parsed.errors.length) throw parsed.errors[0];
    checkNodes(parsed.contents, text);
    varValuesAsText(parsed);
    doc = parsed.toJS({ maxAliasCount: 100 });
    dropNulls(doc);
  } catch (err) {
    if (err instanceof ManifestError) throw err;
    if (err instanceof YAMLParseError) {
      const pos = err.linePos?.[0];
      const where = pos ? ` at line ${pos.line}, column ${pos.col}` : "";
      throw new ManifestError(`manifest: invalid YAML${where}: ${err.message.split("\n")[0]}`);
    }
    throw new ManifestError(`manifest: ${(err as Error).message}`);
  }
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
    throw new ManifestError("manifest: must be a YAML mapping");
  }
  const errors: string[] = [];
  const report: Report = (path, message) => {
    const line = `${fieldPath(path)}: ${message}`;
    if (!errors.includes(line)) errors.push(line);
  };
  const parsed = manifestSchema.safeParse(doc);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      if (issue.code === "unrecognized_keys") {
        for (const key of issue.keys) {
          report([...issue.path, key], `unknown field${suggestion(key, fieldsAt(issue.path))}`);
        }
      } else if (valueAt(doc, issue.path) === undefined) report(issue.path, "required");
      else report(issue.path, issue.message);
    }
  }
  checkProject((doc as { project?: unknown }).project, report);
  if (errors.length || !parsed.success) throw new ManifestError(errors);
  return normalize(parsed.data);
}

// A var's value is text, as AutoKitteh reads it (Go's YAML decoding into a string): a
// plain scalar keeps its source text (`24` is "24", `1.50` is "1.50", `true` is "true"),
// and null (`value:` or `~`) is "".
function varValuesAsText(doc: Document): void {
  const project = doc.get("project", true);
  if (!isMap(project)) return;
  const lists = [project.get("vars", true)];
  const connections = project.get("connections", true);
  if (isSeq(connections)) {
    for (const c of connections.items) if (isMap(c)) lists.push(c.get("vars", true));
  }
  for (const list of lists) {
    if (!isSeq(list)) continue;
    for (const v of list.items) {
      const value = isMap(v) ? v.get("value", true) : undefined;
      if (isScalar(value) && typeof value.value !== "string") {
        value.value = value.value === null ? "" : value.source ?? String(value.value);
      }
    }
  }
}

// A key with no value (`vars:`, `filter: ~`) is as if absent, as AutoKitteh reads it (Go's
// YAML decoding leaves the field at its zero value). `webhook:` keeps its meaning: a webhook.
function dropNulls(node: unknown): void {
  if (Array.isArray(node)) {
    for (const item of node) dropNulls(item);
  } else if (node !== null && typeof node === "object") {
    const obj = node as Record<string, unknown>;
    for (const [key, value] of Object.entries(obj)) {
      if (value === null && key !== "webhook") delete obj[key];
      else dropNulls(value);
    }
  }
}

// Lines that start a mapping key (`name:`) or a sequence item (`- `), outside comments.
function entryLines(text: string): number {
  return text.match(/^[ \t]*(?:- |[^\s#:][^:\n]*:(?:[ \t]|$))/gm)?.length ?? 0;
}

// Bounds the number of keys and items, and refuses a key repeated in a mapping.
function checkNodes(root: unknown, text: string): void {
  let count = 0;
  const stack: unknown[] = [root];
  while (stack.length) {
    const node = stack.pop();
    if (isMap(node)) {
      const keys = new Set<unknown>();
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? pair.key.value : pair.key;
        if (keys.has(key)) {
          const pos = (pair.key as Node).range?.[0];
          const line = pos === undefined ? "" : ` at line ${lineOf(pos)}`;
          throw new ManifestError(`manifest: duplicate key "${String(key)}"${line}`);
        }
        keys.add(key);
        stack.push(pair.value);
      }
      count += node.items.length;
    } else if (isSeq(node)) {
      stack.push(...node.items);
      count += node.items.length;
    }
    if (count > MAX_MANIFEST_NODES) {
      throw new ManifestError(`manifest: more than ${MAX_MANIFEST_NODES} keys and items`);
    }
  }

  function lineOf(offset: number): number {
    let line = 1;
    for (let i = 0; i < offset; i++) if (text[i] === "\n") line++;
    return line;
  }
}

// How deep flow collections (`[`, `{`) nest, skipping quoted text and comments (an
// estimate: it does not tell an apostrophe in plain text from a quote). Block nesting
// costs indentation on every line, so the size limit bounds it.
function yamlNesting(text: string): number {
  let depth = 0;
  let max = 0;
  let quote = "";
  let comment = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (comment) {
      if (c === "\n") comment = false;
    } else if (quote) {
      if (c === "\\" && quote === '"') i++;
      else if (c === quote) quote = "";
    } else if (c === "'" || c === '"') quote = c;
    else if (c === "#") comment = true;
    else if (c === "[" || c === "{") max = Math.max(max, ++depth);
    else if ((c === "]" || c === "}") && depth > 0) depth--;
  }
  return max;
}

type TriggerInput = z.infer<typeof triggerSchema>;
type TriggerType = ManifestTrigger["type"];

function triggerKinds(t: TriggerInput): TriggerType[] {
  return [
    t.webhook !== undefined && "webhook",
    t.schedule !== undefined && "schedule",
    t.connection !== undefined && "connection",
  ].filter((k): k is TriggerType => !!k);
}

// The checks across fields and items, on each item that is well formed by itself, so
// that one bad item does not hide the others' errors.
function checkProject(project: unknown, report: Report): void {
  if (!project || typeof project !== "object") return;
  const items = (key: string): unknown[] => {
    const list = (project as Record<string, unknown>)[key];
    return Array.isArray(list) && list.length <= MAX_MANIFEST_ITEMS ? list : [];
  };
  const named = (list: unknown[]) =>
    list.map((item) => (item as { name?: unknown } | null)?.name)
      .map((n) => typeof n === "string" ? n : undefined);
  uniqueNames(["project", "vars"], named(items("vars")), report);
  const connections = named(items("connections"));
  uniqueNames(["project", "connections"], connections, report);
  const triggers = items("triggers");
  uniqueNames(["project", "triggers"], named(triggers), report);
  triggers.forEach((item, i) => {
    const t = triggerSchema.safeParse(item);
    if (t.success) checkTrigger(t.data, ["project", "triggers", i], connections, report);
  });
}

function checkTrigger(
  t: TriggerInput,
  path: PropertyKey[],
  connections: (string | undefined)[],
  report: Report,
): void {
  const kinds = triggerKinds(t);
  if (kinds.length > 1) {
    return report(path, `only one of webhook, schedule, connection (got ${kinds.join(", ")})`);
  }
  const type = t.type ?? kinds[0];
  if (!type) return report(path, "needs one of type, webhook, schedule, connection");
  if (kinds.length && kinds[0] !== type) {
    return report([...path, "type"], `is "${type}" but ${kinds[0]} is set`);
  }
  if (type === "schedule" && !t.schedule) {
    report([...path, "schedule"], "required for a schedule trigger");
  }
  if (type === "connection") {
    if (!t.connection) report([...path, "connection"], "required for a connection trigger");
    else if (!connections.includes(t.connection)) {
      report([...path, "connection"], `no connection named "${t.connection}" in the project`);
    }
  }
  if (t.call !== undefined && t.entrypoint !== undefined) {
    report(path, "only one of call, entrypoint");
  }
  if (t.timezone && type !== "schedule") {
    report([...path, "timezone"], "only for schedule triggers");
  }
  if (type === "schedule" && t.schedule) {
    try {
      parseSchedule(t.schedule, t.timezone);
    } catch (err) {
      if (!(err instanceof ScheduleError)) throw err;
      report([...path, err.field], err.message);
    }
  }
  const filterError = t.filter ? checkFilter(t.filter)?.replace(/^filter: /, "") : undefined;
  if (filterError) report([...path, "filter"], filterError);
}

// A manifest that passed every check, in Pounce's own shape.
function normalize(m: z.infer<typeof manifestSchema>): Manifest {
  const p = m.project;
  const toVar = (v: z.infer<typeof varSchema>): ManifestVar => ({
    name: v.name,
    value: v.value ?? "",
    description: v.description,
    secret: v.secret ?? false,
  });
  const connections = (p.connections ?? []).map((c) => ({
    name: c.name,
    integration: c.integration,
    vars: (c.vars ?? []).map(toVar),
  }));
  const triggers = (p.triggers ?? []).map((t): ManifestTrigger => ({
    name: t.name,
    type: (t.type ?? triggerKinds(t)[0])!,
    schedule: t.schedule,
    timezone: t.timezone,
    connection: t.connection,
    eventType: t.event_type ?? "",
    filter: t.filter ?? "",
    call: (t.call ?? t.entrypoint) === undefined
      ? undefined
      : canonicalEntrypoint((t.call ?? t.entrypoint)!),
    isDurable: t.is_durable ?? m.version === "v1",
    isSync: t.is_sync ?? false,
  }));
  const ignored = (p.triggers ?? []).filter((t) => t.data !== undefined).map((t) =>
    `[warn] trigger "${t.name}": "data" (AutoKitteh's earlier trigger data) is ignored`
  );
  return {
    version: m.version,
    project: {
      name: p.name,
      displayName: p.display_name,
      vars: (p.vars ?? []).map(toVar),
      connections,
      triggers,
    },
    ...(ignored.length ? { ignored } : {}),
  };
}

function uniqueNames(path: PropertyKey[], names: (string | undefined)[], report: Report): void {
  const seen = new Set<string>();
  names.forEach((name, i) => {
    if (name === undefined) return;
    if (seen.has(name)) report([...path, i, "name"], `duplicate name "${name}"`);
    seen.add(name);
  });
}
