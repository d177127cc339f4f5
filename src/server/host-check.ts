// DNS rebinding: a page on evil.example whose name is made to resolve to the daemon's
// address is same-origin with evil.example, so the browser lets it read what the daemon
// answers. The API, the web UI and the tail therefore answer only to Host names the daemon
// knows: loopback names, IP literals (a page's origin is then the address itself, which
// no other site shares), the name it binds (--host) and those of --allowed-hosts.
import { isIP } from "node:net";
import type { MiddlewareHandler } from "hono";

export type HostCheck = (host: string | undefined) => boolean;

type Allowed = { name: string; port?: string };

function parseHost(host: string): { name: string; port: string } | undefined {
  try {
    const url = new URL(`http://${host}`);
    if (url.username || url.password || url.pathname !== "/" || url.search || url.hash) {
      return undefined;
    }
    return { name: url.hostname.replace(/^\[(.*)\]$/, "$1").replace(/\.$/, ""), port: url.port };
  } catch {
    return undefined;
  }
}

// `names`: host names, each alone (any port) or with `:port` (that port only).
export function hostCheck(names: readonly string[]): HostCheck {
  const allowed: Allowed[] = [];
  for (const entry of names) {
    const parsed = parseHost(entry.trim());
    if (!parsed) throw new Error(`--allowed-hosts: "${entry}" is not a host name`);
    allowed.push({ name: parsed.name, port: /:\d+$/.test(entry.trim()) ? parsed.port : undefined });
  }
  return (host) => {
    // HTTP/1.0 without Host: no browser sends that.
    if (host === undefined) return true;
    const h = parseHost(host);
    if (!h) return false;
    if (isIP(h.name) || h.name === "localhost" || h.name.endsWith(".localhost")) return true;
    return allowed.some((a) => a.name === h.name && (a.port === undefined || a.port === h.port));
  };
}

export function hostRefusal(host: string | undefined): string {
  return `host "${host}" is not one this daemon answers to for its API and UI; ` +
    "start it with --allowed-hosts <name> to add it";
}

export function requireKnownHost(check: HostCheck): MiddlewareHandler {
  return async (c, next) => {
    const host = c.req.header("host");
    if (!check(host)) return c.json({ error: hostRefusal(host) }, 403);
    await next();
  };
}
