// GitHub's REST API, for the calls the daemon makes itself (connection tests, installation
// tokens). `enterprise_url` (a connection var) or GITHUB_ENTERPRISE_URL selects GitHub
// Enterprise Server; POUNCE_GITHUB_API_URL points it elsewhere, e.g. at a test server.
export function githubApiUrl(
  vars: Record<string, string>,
  env: Record<string, string | undefined> = process.env,
): string {
  const enterprise = vars.enterprise_url || env.GITHUB_ENTERPRISE_URL;
  if (enterprise) return `${enterprise.replace(/\/+$/, "")}/api/v3`;
  return (env.POUNCE_GITHUB_API_URL || "https://api.github.com").replace(/\/+$/, "");
}

export async function callGitHub(
  base: string,
  method: string,
  path: string,
  authorization: string,
): Promise<Record<string, unknown>> {
  const res = await fetch(base + path, {
    method,
    headers: {
      accept: "application/vnd.github+json",
      authorization,
      "user-agent": "pounce",
      "x-github-api-version": "2022-11-28",
    },
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text);
  } catch { /* not JSON */ }
  if (!res.ok) {
    throw new Error(`GitHub ${method} ${path}: HTTP ${res.status} ${String(body.message ?? "")}`);
  }
  return body;
}
