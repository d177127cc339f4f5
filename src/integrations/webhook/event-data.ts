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

function decodeText(bytes: Uint8Array): string | null {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
}

export function webhookEventData(
  req: Request,
  body: Uint8Array,
  pathSuffix: string,
): Record<string, unknown> {
  const url = new URL(req.url);
  const text = body.length ? decodeText(body) : null;
  const contentType = req.headers.get("content-type") ?? "";
  let json: unknown = null;
  if (text !== null) {
    try {
      json = JSON.parse(text);
    } catch { /* not JSON */ }
  }
  const form = text !== null && contentType.startsWith("application/x-www-form-urlencoded")
    ? joinValues(new URLSearchParams(text), false)
    : null;
  return {
    method: req.method,
    raw_url: url.pathname + url.search,
    url: {
      path: url.pathname,
      query: joinValues(url.searchParams, false),
      path_suffix: pathSuffix,
    },
    headers: joinValues(req.headers, true),
    trailers: {},
    body: {
      bytes: body.length ? Buffer.from(body).toString("base64") : null,
      text,
      form,
      json,
    },
  };
}
