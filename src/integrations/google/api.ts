// Calls to Google's REST APIs with a connection's OAuth access token. The base URL is
// Google's unless POUNCE_GOOGLE_API_URL points elsewhere (a stand-in for tests).
const TIMEOUT_MS = 30_000;

export class GoogleApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

// `host`: an API served elsewhere than www.googleapis.com (e.g. forms.googleapis.com).
export function googleApiBase(
  env: Record<string, string | undefined> = process.env,
  host = "https://www.googleapis.com",
): string {
  return (env.POUNCE_GOOGLE_API_URL || host).replace(/\/+$/, "");
}

export async function callGoogle<T = Record<string, unknown>>(
  token: string,
  method: "GET" | "POST",
  path: string,
  query: Record<string, string | undefined> = {},
  body?: unknown,
  host?: string,
): Promise<T> {
  const url = new URL(googleApiBase(process.env, host) + path);
  for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, v);
  const res = await fetch(url, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  const text = await res.text();
  if (!res.ok) {
    let message = text.slice(0, 200);
    try {
      message = JSON.parse(text)?.error?.message ?? message;
    } catch { /* not JSON: the start of the text */ }
    throw new GoogleApiError(
      res.status,
      `Google API ${method} ${url.pathname}: ${res.status} ${message}`,
    );
  }
  return (text ? JSON.parse(text) : {}) as T;
}
