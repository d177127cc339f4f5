// The management API's bearer token: created at first start in the data dir (0600). The
// CLI sends it as a Bearer token; the web UI trades it for an HttpOnly cookie (ui-session.ts),
// so that no script in the UI's origin can read it.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { keepPrivate } from "../core/util/paths.ts";
import type { MiddlewareHandler } from "hono";

export function tokenFile(dataDir: string): string {
  return join(dataDir, "token");
}

export function loadOrCreateToken(dataDir: string): string {
  const file = tokenFile(dataDir);
  if (!existsSync(file)) {
    try {
      writeFileSync(file, randomBytes(32).toString("hex") + "\n", { mode: 0o600, flag: "wx" });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
  }
  keepPrivate(file, 0o600);
  return readFileSync(file, "utf8").trim();
}

export function tokenMatches(expected: string, given: string | undefined | null): boolean {
  if (!given) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

// Every cookie the web UI's sign-in sets starts so; webhook answers may not set one.
export const UI_COOKIE_PREFIX = "pounce_ui";
// Requests that carry the UI's cookie must carry this header too: a page of another origin
// cannot add it without a CORS preflight, which the daemon never grants (CSRF).
export const UI_HEADER = "x-pounce-ui";
const UI_COOKIE_DAYS = 7;

const hmac = (token: string, what: string) =>
  createHmac("sha256", token).update(what).digest("base64url");

// Per daemon (its token): two daemons on one host name do not take each other's cookie.
export function uiCookieName(token: string): string {
  return `${UI_COOKIE_PREFIX}_${hmac(token, "cookie name").slice(0, 10)}`;
}

// `<expiry ms>.<HMAC of it under the token>`: not the token itself, and worthless once
// expired or once the token is replaced.
export function uiCookieValue(token: string, now = Date.now()): { value: string; maxAge: number } {
  const maxAge = UI_COOKIE_DAYS * 86400;
  const expires = now + maxAge * 1000;
  return { value: `${expires}.${hmac(token, `ui session ${expires}`)}`, maxAge };
}

export function uiCookieValid(token: string, value: string, now = Date.now()): boolean {
  const [expires, mac] = value.split(".");
  if (!/^\d+$/.test(expires ?? "") || Number(expires) < now) return false;
  return tokenMatches(hmac(token, `ui session ${expires}`), mac);
}

// The values of the cookie `name` in a Cookie header (there can be several).
export function cookieValues(header: string | undefined | null, name: string): string[] {
  if (!header) return [];
  return header.split(";").flatMap((part) => {
    const eq = part.indexOf("=");
    return eq > 0 && part.slice(0, eq).trim() === name ? [part.slice(eq + 1).trim()] : [];
  });
}

export function uiCookieIn(token: string, cookieHeader: string | undefined | null): boolean {
  return cookieValues(cookieHeader, uiCookieName(token)).some((v) => uiCookieValid(token, v));
}

// The API takes the Bearer token (CLI, scripts) or the UI's cookie with its header.
export function requireToken(token: string): MiddlewareHandler {
  return async (c, next) => {
    const header = c.req.header("authorization") ?? "";
    const given = header.startsWith("Bearer ") ? header.slice(7).trim() : undefined;
    const viaUi = given === undefined && c.req.header(UI_HEADER) !== undefined &&
      uiCookieIn(token, c.req.header("cookie"));
    if (!viaUi && !tokenMatches(token, given)) {
      return c.json({ error: "unauthorized: missing or wrong API token" }, 401);
    }
    await next();
  };
}
