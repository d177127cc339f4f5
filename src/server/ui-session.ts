// The web UI's sign-in: the token, posted once, is traded for an HttpOnly, SameSite=Strict
// cookie (auth.ts), so the token is never kept where script in the UI's origin can read it.
import type { Hono } from "hono";
import { deleteCookie, setCookie } from "hono/cookie";
import { tokenMatches, UI_HEADER, uiCookieName, uiCookieValue } from "./auth.ts";

export function mountUiSession(app: Hono, token: string): void {
  // The header rules out forms and simple requests from other origins (auth.ts).
  app.use("/ui/sign-*", async (c, next) => {
    if (c.req.header(UI_HEADER) === undefined) {
      return c.json({ error: `the ${UI_HEADER} header is required` }, 403);
    }
    await next();
  });

  app.post("/ui/sign-in", async (c) => {
    const body = await c.req.json().catch(() => undefined) as { token?: unknown } | undefined;
    if (typeof body?.token !== "string") {
      return c.json({ error: "token: required, a string" }, 400);
    }
    if (!tokenMatches(token, body.token.trim())) {
      return c.json({ error: "unauthorized: wrong API token" }, 401);
    }
    const { value, maxAge } = uiCookieValue(token);
    setCookie(c, uiCookieName(token), value, {
      httpOnly: true,
      sameSite: "Strict",
      path: "/",
      maxAge,
      secure: new URL(c.req.url).protocol === "https:" ||
        c.req.header("x-forwarded-proto") === "https",
    });
    return c.body(null, 204);
  });

  app.post("/ui/sign-out", (c) => {
    deleteCookie(c, uiCookieName(token), { path: "/" });
    return c.body(null, 204);
  });
}
