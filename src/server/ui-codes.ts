// One-time sign-in codes for the web UI: `pounce up` and `pounce ui` print a link holding
// one; the page posts it once (ui-session.ts) and gets the usual cookie. A code is good for
// one sign-in within CODE_TTL_MS, and only in this daemon process (kept in memory, by hash).
import { createHash, randomBytes } from "node:crypto";

export const CODE_TTL_MS = 10 * 60_000;
// Unused codes beyond this many are dropped, oldest first (a loop minting codes cannot
// grow the daemon's memory).
const MAX_CODES = 100;

const digest = (code: string) => createHash("sha256").update(code).digest("hex");

export class SignInCodes {
  private readonly codes = new Map<string, number>();

  mint(now = Date.now()): { code: string; expiresAt: number } {
    this.prune(now);
    while (this.codes.size >= MAX_CODES) this.codes.delete(this.codes.keys().next().value!);
    const code = randomBytes(24).toString("base64url");
    const expiresAt = now + CODE_TTL_MS;
    this.codes.set(digest(code), expiresAt);
    return { code, expiresAt };
  }

  // True once per minted code, before it expires; the code is gone after.
  redeem(code: string, now = Date.now()): boolean {
    const key = digest(code);
    const expiresAt = this.codes.get(key);
    this.codes.delete(key);
    return expiresAt !== undefined && expiresAt >= now;
  }

  private prune(now: number): void {
    for (const [key, expiresAt] of this.codes) if (expiresAt < now) this.codes.delete(key);
  }
}

// The link a person opens: the code rides in the fragment, which browsers send to no
// server (not in requests, logs or Referer); the page reads it and posts it.
export function signInLink(baseUrl: string, code: string): string {
  return `${baseUrl.replace(/\/+$/, "")}/#/sign-in/${code}`;
}
