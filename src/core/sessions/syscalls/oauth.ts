// refresh_oauth(integration, connection): a fresh OAuth access token for a connection of
// the session's project, and its expiry. Never journaled (the runner sends no seq): a
// replay gets a fresh token too, never a recorded one that has expired since.
import { stringArg, type SyscallContext, SyscallError } from "./context.ts";

export async function refreshOauth(
  ctx: SyscallContext,
  args: Record<string, unknown>,
): Promise<{ token: string; expiry: string | null }> {
  const integration = stringArg(args, "integration");
  const connection = stringArg(args, "connection");
  const oauth = ctx.deps.oauth;
  if (!oauth) throw new SyscallError("OAuth is not available in this daemon");
  try {
    return await oauth.refresh(ctx.session.projectId, integration, connection);
  } catch (err) {
    throw new SyscallError((err as Error).message);
  }
}
