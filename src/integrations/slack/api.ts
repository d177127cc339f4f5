// Slack's Web API, for the few calls the daemon makes itself (auth.test,
// apps.connections.open). POUNCE_SLACK_API_URL points it elsewhere, e.g. at a test server.
export function slackApiUrl(env: Record<string, string | undefined> = process.env): string {
  const base = env.POUNCE_SLACK_API_URL || "https://slack.com/api/";
  return base.endsWith("/") ? base : `${base}/`;
}

export async function callSlack(
  method: string,
  token: string,
  params: Record<string, string> = {},
  signal?: AbortSignal,
): Promise<Record<string, unknown>> {
  const timeout = AbortSignal.timeout(15_000);
  const res = await fetch(slackApiUrl() + method, {
    method: "POST",
    headers: {
      authorization: `Bearer ${token}`,
      "content-type": "application/x-www-form-urlencoded",
    },
    body: new URLSearchParams(params),
    signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
  });
  if (!res.ok) throw new Error(`Slack ${method}: HTTP ${res.status}`);
  const body = await res.json() as Record<string, unknown>;
  if (body.ok !== true) throw new Error(`Slack ${method}: ${String(body.error ?? "not ok")}`);
  return body;
}
