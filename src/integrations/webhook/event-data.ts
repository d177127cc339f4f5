// The `data` of a webhook event, shaped as AutoKitteh builds it (§3.1).

// Go's http.CanonicalHeaderKey: "content-type" → "Content-Type".
export function canonicalHeaderKey(key: string): string {
  return key.toLowerCase().replace(
    /(^|-)([a-z])/g,
    (_, dash: string, c: string) => dash + c.toUpperCase(),
  );
}

function joinValues(pairs: Iterable<[string, string]>, canonical: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of pairs) {
    const key = canonical ? canonicalHeaderKey(k) : k;
    out[key] = key in out ? `${out[key]}, ${v}` : v;
  }
  return out;
}

// The request's headers as a web `Headers` iterates them (names lowercased and sorted, a
// name's values joined with ", " — "; " for cookie —, values trimmed of HTTP whitespace),
// from the name/value list the HTTP server parsed: building a `Headers` object (which
// validates every header again) cost more than the rest of the event's data.
export function rawHeaderPairs(raw: readonly string[]): [string, string][] {
  const byName = new Map<string, string>();
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    if (name.startsWith(":")) continue;
    const value = raw[i + 1].replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, "");
    const had = byName.get(name);
    byName.set(
      name,
      had === undefined ? value : `${had}${name === "cookie" ? "; " : ", "}${value}`,
    );
  }
  return [...byName].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

// Stateless between calls (no `stream` option): one for every body.
const utf8 = new TextDecoder("utf-8", { fatal: true });

function decodeText(bytes: Uint8Array): string | null {
  try {
    return utf8.decode(bytes);
  } catch {
    return null;
  }
}

// JSON nested deeper than this is not parsed: the daemon, CEL filters and the Python SDK
// walk values recursively, and a body of 100,000 brackets would exhaust their stacks
// (Python's at about 300 levels). serde_json stops at the same depth.
export const MAX_JSON_DEPTH = 128;

// True when `text` opens more than `max` arrays/objects inside one another (outside
// strings); a scan, so that it never recurses itself.
export function jsonNestedDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

export type WebhookEventData = {
  data: Record<string, unknown>;
  // Why the body's JSON was not parsed, when it was refused (its text is kept).
  refused?: string;
};

// `rawHeaders`: the request's headers as the HTTP server parsed them (name, value, …),
// when it has them; `url`: the request's URL, when parsed already.
export function webhookEventData(
  req: Request,
  body: Uint8Array,
  pathSuffix: string,
  rawHeaders?: readonly string[],
  url: URL = new URL(req.url),
): WebhookEventData {
  const headerPairs = rawHeaders ? rawHeaderPairs(rawHeaders) : [...req.headers];
  const text = body.length ? decodeText(body) : null;
  const contentType = headerPairs.find(([name]) => name === "content-type")?.[1] ?? "";
  let json: unknown = null;
  let refused: string | undefined;
  if (text !== null) {
    if (jsonNestedDeeperThan(text, MAX_JSON_DEPTH)) {
      refused = `body: JSON nested deeper than ${MAX_JSON_DEPTH} levels`;
    } else {
      try {
        json = JSON.parse(text);
      } catch { /* not JSON */ }
    }
  }
  const form = text !== null && contentType.startsWith("application/x-www-form-urlencoded")
    ? joinValues(new URLSearchParams(text), false)
    : null;
  const data = {
    method: req.method,
    raw_url: url.pathname + url.search,
    url: {
      path: url.pathname,
      query: joinValues(url.searchParams, false),
      path_suffix: pathSuffix,
    },
    headers: joinValues(headerPairs, true),
    trailers: {},
    body: {
      bytes: body.length
        ? Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString("base64")
        : null,
      text,
      form,
      json,
    },
  };
  return refused ? { data, refused } : { data };
}
