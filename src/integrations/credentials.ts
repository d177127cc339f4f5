// The credentials a connection of an integration is set with (`pounce connection set`),
// under AutoKitteh's var names, for integrations that are only clients in Pounce (no
// event source): API keys, tokens, service-account keys, and OAuth tokens (stored by
// `pounce connection init`). Secret ones are always encrypted.
import { oauthIntegration } from "./oauth/providers.ts";
import type { ConnectionVarSpec } from "./types.ts";

const v = (name: string, secret: boolean, description: string): ConnectionVarSpec => ({
  name,
  secret,
  description,
});

const GOOGLE = [v("JSON", true, "Google Cloud service-account key (JSON)")];
const ATLASSIAN = [
  v("BaseURL", false, "site URL, e.g. https://example.atlassian.net"),
  v("Email", false, "user email (Atlassian Cloud API token)"),
  v("Token", true, "API token or personal access token"),
];

const KEYS: Record<string, readonly ConnectionVarSpec[]> = {
  google: GOOGLE,
  gmail: GOOGLE,
  googlecalendar: GOOGLE,
  googlechat: GOOGLE,
  googledrive: GOOGLE,
  googleforms: GOOGLE,
  googlesheets: GOOGLE,
  jira: ATLASSIAN,
  confluence: ATLASSIAN,
  linear: [v("api_key", true, "personal API key")],
  hubspot: [v("private_app_token", true, "private app access token")],
  zoom: [
    v("account_id", false, "server-to-server app account id"),
    v("client_id", false, "server-to-server app client id"),
    v("client_secret", true, "server-to-server app client secret"),
  ],
  discord: [v("BotToken", true, "bot token")],
};

const OAUTH = [
  v("authType", false, "how the connection authenticates (oauth: set by connection init)"),
  v("oauth_AccessToken", true, "OAuth access token (connection init)"),
  v("oauth_RefreshToken", true, "OAuth refresh token (connection init)"),
  v("oauth_Expiry", false, "OAuth access token expiry (connection init)"),
  v("oauth_TokenType", false, "OAuth token type (connection init)"),
];

// Besides what a registered integration declares itself (its connectionVars).
export function credentialVars(integration: string): readonly ConnectionVarSpec[] {
  return [...(KEYS[integration] ?? []), ...(oauthIntegration(integration) ? OAUTH : [])];
}
