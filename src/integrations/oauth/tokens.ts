// OAuth tokens as a connection's vars, under AutoKitteh's names: the tokens encrypted, the
// expiry in Go's time format (what AutoKitteh's Python SDK parses).
import { setVars, type VarInput } from "../../core/projects/vars.ts";
import type { Db } from "../../core/db/client.ts";
import type { SecretBox } from "../../core/projects/secrets.ts";

export const TOKEN_VARS = {
  authType: "authType",
  access: "oauth_AccessToken",
  refresh: "oauth_RefreshToken",
  expiry: "oauth_Expiry",
  type: "oauth_TokenType",
} as const;

export type Tokens = {
  accessToken: string;
  refreshToken?: string;
  // Epoch ms; null: the token does not expire.
  expiresAt: number | null;
  tokenType: string;
};

// Go's zero time: what AutoKitteh stores for a token without expiry.
const NEVER = "0001-01-01 00:00:00 +0000 UTC";

// Go's time.String() in UTC, without fractions: "2006-01-02 15:04:05 +0000 UTC".
export function goTime(ms: number | null): string {
  if (ms === null) return NEVER;
  return new Date(ms).toISOString().replace("T", " ").replace(/\.\d+Z$/, " +0000 UTC");
}

// Reads goTime's format (and ISO 8601); null for no expiry or text it cannot read.
export function parseExpiry(text: string | undefined): number | null {
  if (!text || text === NEVER) return null;
  const m = text.match(/^(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d:\d\d)(\.\d+)? ([+-]\d\d)(\d\d)/);
  const ms = m ? Date.parse(`${m[1]}T${m[2]}${m[3] ?? ""}${m[4]}:${m[5]}`) : Date.parse(text);
  return Number.isNaN(ms) ? null : ms;
}

export function tokensOf(vars: Record<string, string>): Tokens | undefined {
  const accessToken = vars[TOKEN_VARS.access];
  if (!accessToken) return undefined;
  return {
    accessToken,
    refreshToken: vars[TOKEN_VARS.refresh] || undefined,
    expiresAt: parseExpiry(vars[TOKEN_VARS.expiry]),
    tokenType: vars[TOKEN_VARS.type] ?? "Bearer",
  };
}

export async function storeTokens(
  db: Db,
  box: SecretBox,
  connectionId: string,
  t: Tokens,
): Promise<void> {
  const list: VarInput[] = [
    { name: TOKEN_VARS.authType, value: "oauth", secret: false },
    { name: TOKEN_VARS.access, value: t.accessToken, secret: true },
    { name: TOKEN_VARS.expiry, value: goTime(t.expiresAt), secret: false },
    { name: TOKEN_VARS.type, value: t.tokenType, secret: false },
  ];
  if (t.refreshToken) list.push({ name: TOKEN_VARS.refresh, value: t.refreshToken, secret: true });
  await setVars(db, box, connectionId, list);
}
