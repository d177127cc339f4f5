// The web UI's sign-in: the token, posted once, or a one-time code from a sign-in link
// (ui-codes.ts), is traded for an HttpOnly, SameSite=Strict cookie (auth.ts), so the token
// is never kept where script in the UI's origin can read it, nor put in a URL.
import { type Context, Hono } from "hono";
import { getConnInfo } from "@hono/node-server/conninfo";
import { deleteCookie, setCookie } from "hono/cookie";
import {
  tokenFile,
  tokenMatches,
  UI_HEADER,
  uiCookieIn,
  uiCookieName,
  uiCookieValue,
} from "./auth.ts";
import { type SignInCodes } from "./ui-codes.ts";

export function mountUiSession(
  app: Hono,
  token: string,
  codes: SignInCodes,
  dataDir: string,
): void {
  // The header rules out forms and simple requests from other origins (auth.ts).
  app.use("/ui/sign-*", async (c, next) => {
    if (c.req.header(UI_HEADER) === undefined) {
      return c.json({ error: `the ${UI_HEADER} header is required` }, 403);
    }
    await next();
  });

  app.post("/ui/sign-in", async (c) => {
    const body = await c.req.json().catch(() => undefined) as
      | { token?: unknown; code?: unknown }
      | undefined;
    if (typeof body?.code === "string") {
      if (!codes.redeem(body.code)) {
        return c.json({ error: "unauthorized: this sign-in link was used or has expired" }, 401);
      }
      return signedIn(c, token);
    }
    if (typeof body?.token !== "string") {
      return c.json({ error: "token: required, a string (or code, from a sign-in link)" }, 400);
    }
    if (!tokenMatches(token, body.token.trim())) {
      return c.json({ error: "unauthorized: wrong API token" }, 401);
    }
    return signedIn(c, token);
  });

  app.post("/ui/sign-out", (c) => {
    deleteCookie(c, uiCookieName(token), { path: "/" });
    return c.body(null, 204);
  });

  // Whether this browser is signed in (so that the page need not provoke a 401 to know),
  // and where the token is: the path only to a browser on this machine (it names the
  // user's home), the command to everyone.
  app.post("/ui/sign-in-hint", (c) => {
    let local = false;
    try {
      local = isLoopbackAddress(getConnInfo(c).remote.address ?? "");
    } catch {
      // Not served by node:http (an in-process fetch in a test): no path.
    }
    return c.json({
      signed_in: uiCookieIn(token, c.req.header("cookie")),
      token_file: local ? tokenFile(dataDir) : null,
      command: "pounce ui",
    });
  });
}

function signedIn(c: Context, token: string): Response {
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
}

// Under /api (behind the token): a fresh one-time code, for `pounce ui`.
export function signInCodeRoutes(codes: SignInCodes): Hono {
  const api = new Hono();
  api.post("/ui/sign-in-code", (c) => {
    const { code, expiresAt } = codes.mint();
    return c.json({ code, expires_at: new Date(expiresAt).toISOString() });
  });
  return api;
}

function isLoopbackAddress(address: string): boolean {
  return address === "::1" || /^(::ffff:)?127\./.test(address);
}
