// Request bodies: JSON checked against the zod schema beside each route. A body that is
// not JSON, or does not fit, is a 400 naming the field, never a 500.
import type { Context } from "hono";
import type { z } from "zod";
import { ApiError } from "./errors.ts";

// The body, checked. `optional`: an empty body counts as {}.
export async function jsonBody<S extends z.ZodType>(
  c: Context,
  schema: S,
  opts: { optional?: boolean } = {},
): Promise<z.infer<S>> {
  let raw: unknown;
  try {
    raw = opts.optional ? parseOptional(await c.req.text()) : await c.req.json();
  } catch (err) {
    if (err instanceof SyntaxError) throw new ApiError(400, `bad request body: ${err.message}`);
    throw err;
  }
  const parsed = schema.safeParse(raw, { reportInput: true });
  if (!parsed.success) throw new ApiError(400, describeIssue(parsed.error.issues[0]));
  return parsed.data;
}

function parseOptional(text: string): unknown {
  return text.trim() ? JSON.parse(text) : {};
}

const KINDS: Record<string, string> = {
  string: "a string",
  boolean: "true or false",
  number: "a number",
  int: "an integer",
  object: "a JSON object",
  record: "a JSON object",
  array: "a list",
};

// "<field>: <what is wrong>", e.g. `name: required`, `files["a.py"]: must be a string`.
export function describeIssue(issue: z.core.$ZodIssue): string {
  const where = fieldPath(issue.path) || "body";
  if (issue.code === "invalid_type") {
    if (issue.input === undefined) return `${where}: required`;
    return `${where}: must be ${KINDS[issue.expected] ?? issue.expected}`;
  }
  return `${where}: ${issue.message}`;
}

function fieldPath(path: PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else if (typeof key === "string" && /^[A-Za-z_]\w*$/.test(key)) out += out ? `.${key}` : key;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}
