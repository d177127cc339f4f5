// Where providers send the browser back after consent: /oauth/redirect/<app>.
import type { Hono } from "hono";
import { log } from "../../core/util/log.ts";
import { OAuthError } from "./client.ts";
import type { OAuthService } from "./service.ts";

// `authorized` runs once a connection has its tokens (e.g. sources that need them start).
export function mountOAuth(
  app: Hono,
  oauth: OAuthService,
  authorized: () => Promise<void> = () => Promise.resolve(),
): void {
  app.get("/oauth/redirect/:redirect", async (c) => {
    const redirect = c.req.param("redirect");
    try {
      const conn = await oauth.finish(redirect, new URL(c.req.url).searchParams);
      log.info("oauth connection authorized", { connection: conn.id, integration: redirect });
      await authorized().catch((err) =>
        log.error("after oauth: reload failed", { error: (err as Error).message })
      );
      return c.text(`Connection "${conn.name}" is authorized. You can close this window.\n`);
    } catch (err) {
      if (!(err instanceof OAuthError)) throw err;
      log.warn("oauth redirect refused", { integration: redirect, error: err.message });
      return c.text(`OAuth failed: ${err.message}\n`, err.status);
    }
  });
}
