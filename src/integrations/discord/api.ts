// Discord's REST API, for the few calls the daemon makes itself (GET /gateway/bot,
// GET /users/@me). POUNCE_DISCORD_API_URL points it elsewhere, e.g. at a test server.
export function discordApiUrl(env: Record<string, string | undefined> = process.env): string {
  const base = env.POUNCE_DISCORD_API_URL || "https://discord.com/api/v10/";
  return base.endsWith("/") ? base : `${base}/`;
}

export class DiscordApiError extends Error {
  constructor(readonly path: string, readonly status: number) {
    super(`Discord ${path}: HTTP ${status}`);
  }

  // The token is wrong or revoked: retrying cannot help.
  get unauthorized(): boolean {
    return this.status === 401;
  }
}

export async function callDiscord(
  path: string,
  token: string,
  signal?: AbortSignal,
): Promise<Record<string, unknown>> {
  const timeout = AbortSignal.timeout(15_000);
  const res = await fetch(discordApiUrl() + path, {
    headers: { authorization: `Bot ${token}`, "user-agent": "DiscordBot (pounce, 0.1)" },
    signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
  });
  if (!res.ok) {
    await res.body?.cancel();
    throw new DiscordApiError(path, res.status);
  }
  return await res.json() as Record<string, unknown>;
}
