// The project manifest (`autokitteh.yaml`, versions v1 and v2): parsing and validation.
// Every error names the field path, e.g. `project.triggers[1].call: ...`.
import { isMap, isScalar, isSeq, type Node, parseDocument, YAMLParseError } from "yaml";
import { z } from "zod";
import { checkFilter } from "../triggers/cel.ts";
import { parseSchedule, ScheduleError } from "../triggers/schedule-spec.ts";

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

const triggerSchema = z.object({
  name,
  type: z.enum(["webhook", "schedule", "connection"]).optional(),
  webhook: z.object({}).strict().nullable().optional(),
  schedule: z.string().min(1).optional(),
  timezone: z.string().min(1).optional(),
  connection: z.string().min(1).optional(),
  event_type: z.string().optional(),
  filter: z.string().optional(),
  call: z.string().regex(callPattern, 'must look like "file.py:function"').optional(),
  is_durable: z.boolean().optional(),
  is_sync: z.boolean().optional(),
}).strict();

const manifestSchema = z.object({
  version: z.enum(["v1", "v2"], { message: 'must be "v1" or "v2"' }),
  project: z.object({
    name,
    display_name: z.string().optional(),
    vars: list(varSchema).optional(),
    connections: list(connectionSchema).optional(),
    triggers: list(triggerSchema).optional(),
  }).strict(),
}).strict();

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
};

export class ManifestError extends Error {
  override name = "ManifestError";
}

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

function fail(path: readonly PropertyKey[], message: string): never {
  throw new ManifestError(`${fieldPath(path)}: ${message}`);
}

// Checks a name given outside a manifest (e.g. a deploy's project_name) by the manifest's
// rules; throws ManifestError naming the field.
export function checkName(field: string, value: string): string {
  const parsed = name.safeParse(value);
  if (!parsed.success) throw new ManifestError(`${field}: ${parsed.error.issues[0].message}`);
  return value;
}

// Parses and validates a manifest; throws ManifestError naming the first bad field.
export function parseManifest(text: string): Manifest {
  if (new TextEncoder().encode(text).length > MAX_MANIFEST_BYTES) {
    throw new ManifestError(`manifest: larger than ${MAX_MANIFEST_BYTES} bytes`);
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
    doc = parsed.toJS({ maxAliasCount: 100 });
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
  const parsed = manifestSchema.safeParse(doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue.path;
    if (issue.code === "unrecognized_keys") {
      fail([...path, issue.keys[0]], "unknown field");
    }
    if (valueAt(doc, path) === undefined) fail(path, "required");
    fail(path, issue.message);
  }
  return normalize(parsed.data);
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
  uniqueNames(["project", "vars"], p.vars ?? []);
  uniqueNames(["project", "connections"], connections);
  uniqueNames(["project", "triggers"], p.triggers ?? []);
  const triggers = (p.triggers ?? []).map((t, i): ManifestTrigger => {
    const path = ["project", "triggers", i];
    const kinds = [
      t.webhook !== undefined && "webhook",
      t.schedule !== undefined && "schedule",
      t.connection !== undefined && "connection",
    ].filter((k): k is "webhook" | "schedule" | "connection" => !!k);
    if (kinds.length > 1) {
      fail(path, `only one of webhook, schedule, connection (got ${kinds.join(", ")})`);
    }
    const type = t.type ?? kinds[0];
    if (!type) fail(path, "needs one of type, webhook, schedule, connection");
    if (kinds.length && kinds[0] !== type) {
      fail([...path, "type"], `is "${type}" but ${kinds[0]} is set`);
    }
    if (type === "schedule" && !t.schedule) {
      fail([...path, "schedule"], "required for a schedule trigger");
    }
    if (type === "connection") {
      if (!t.connection) fail([...path, "connection"], "required for a connection trigger");
      if (!connections.some((c) => c.name === t.connection)) {
        fail([...path, "connection"], `no connection named "${t.connection}" in the project`);
      }
    }
    if (t.timezone && type !== "schedule") {
      fail([...path, "timezone"], "only for schedule triggers");
    }
    if (type === "schedule") {
      try {
        parseSchedule(t.schedule!, t.timezone);
      } catch (err) {
        if (err instanceof ScheduleError) fail([...path, err.field], err.message);
        throw err;
      }
    }
    const filterError = t.filter ? checkFilter(t.filter)?.replace(/^filter: /, "") : undefined;
    if (filterError) fail([...path, "filter"], filterError);
    return {
      name: t.name,
      type,
      schedule: t.schedule,
      timezone: t.timezone,
      connection: t.connection,
      eventType: t.event_type ?? "",
      filter: t.filter ?? "",
      call: t.call?.replace(" ", ":"),
      isDurable: t.is_durable ?? m.version === "v1",
      isSync: t.is_sync ?? false,
    };
  });
  return {
    version: m.version,
    project: {
      name: p.name,
      displayName: p.display_name,
      vars: (p.vars ?? []).map(toVar),
      connections,
      triggers,
    },
  };
}

function uniqueNames(path: PropertyKey[], items: { name: string }[]): void {
  const seen = new Set<string>();
  items.forEach((item, i) => {
    if (seen.has(item.name)) fail([...path, i, "name"], `duplicate name "${item.name}"`);
    seen.add(item.name);
  });
}
