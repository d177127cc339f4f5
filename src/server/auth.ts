// The management API's bearer token: created at first start in the data dir (0600).
import { randomBytes, timingSafeEqual } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { keepPrivate } from "../core/paths.ts";
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

export function requireToken(token: string): MiddlewareHandler {
  return async (c, next) => {
    const header = c.req.header("authorization") ?? "";
    const given = header.startsWith("Bearer ") ? header.slice(7).trim() : undefined;
    if (!tokenMatches(token, given)) {
      return c.json({ error: "unauthorized: missing or wrong API token" }, 401);
    }
    await next();
  };
}
