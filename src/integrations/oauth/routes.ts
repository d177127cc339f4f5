// Where providers send the browser back after consent: /oauth/redirect/<app>.
import type { Hono } from "hono";
import { log } from "../../core/util/log.ts";
import { OAuthError } from "./client.ts";
import type { OAuthService } from "./service.ts";

export function mountOAuth(app: Hono, oauth: OAuthService): void {
  app.get("/oauth/redirect/:redirect", async (c) => {
    const redirect = c.req.param("redirect");
    try {
      const conn = await oauth.finish(redirect, new URL(c.req.url).searchParams);
      log.info("oauth connection authorized", { connection: conn.id, integration: redirect });
      return c.text(`Connection "${conn.name}" is authorized. You can close this window.\n`);
    } catch (err) {
      if (!(err instanceof OAuthError)) throw err;
      log.warn("oauth redirect refused", { integration: redirect, error: err.message });
      return c.text(`OAuth failed: ${err.message}\n`, err.status);
    }
  });
}
