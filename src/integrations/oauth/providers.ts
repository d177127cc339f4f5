// The OAuth 2.0 providers Pounce can run the authorization-code flow with: endpoints,
// scopes per integration, and where the daemon reads the OAuth app's client id and
// secret (AutoKitteh's self-hosted env names). Data only.

export type Provider = {
  // Also the env prefix of the URL override: POUNCE_OAUTH_<NAME>_BASE_URL.
  name: string;
  authorizeUrl: string;
  tokenUrl: string;
  // RFC 7636 (S256): sent when the provider supports it.
  pkce: boolean;
  // How the client secret reaches the token endpoint.
  clientAuth: "post" | "basic";
  // Between scopes in the `scope` parameter.
  scopeSeparator: " " | ",";
  extraParams?: Record<string, string>;
};

export type OAuthIntegration = {
  provider: Provider;
  // Env names of the OAuth app's credentials.
  clientIdEnv: string;
  clientSecretEnv: string;
  scopes: readonly string[];
  // The last segment of the redirect URL (/oauth/redirect/<redirect>) registered with the
  // provider: one per OAuth app.
  redirect: string;
};

const google: Provider = {
  name: "google",
  authorizeUrl: "https://accounts.google.com/o/oauth2/auth",
  tokenUrl: "https://oauth2.googleapis.com/token",
  pkce: true,
  clientAuth: "post",
  scopeSeparator: " ",
  // A refresh token, every time consent is given.
  extraParams: { access_type: "offline", prompt: "consent" },
};

const github: Provider = {
  name: "github",
  authorizeUrl: "https://github.com/login/oauth/authorize",
  tokenUrl: "https://github.com/login/oauth/access_token",
  pkce: true,
  clientAuth: "post",
  scopeSeparator: " ",
};

const slack: Provider = {
  name: "slack",
  authorizeUrl: "https://slack.com/oauth/v2/authorize",
  tokenUrl: "https://slack.com/api/oauth.v2.access",
  pkce: false,
  clientAuth: "basic",
  scopeSeparator: ",",
};

const atlassian: Provider = {
  name: "atlassian",
  authorizeUrl: "https://auth.atlassian.com/authorize",
  tokenUrl: "https://auth.atlassian.com/oauth/token",
  pkce: false,
  clientAuth: "post",
  scopeSeparator: " ",
  extraParams: { audience: "api.atlassian.com", prompt: "consent" },
};

const microsoft: Provider = {
  name: "microsoft",
  authorizeUrl: "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
  tokenUrl: "https://login.microsoftonline.com/common/oauth2/v2.0/token",
  pkce: true,
  clientAuth: "post",
  scopeSeparator: " ",
};

const zoom: Provider = {
  name: "zoom",
  authorizeUrl: "https://zoom.us/oauth/authorize",
  tokenUrl: "https://zoom.us/oauth/token",
  pkce: true,
  clientAuth: "basic",
  scopeSeparator: " ",
};

const linear: Provider = {
  name: "linear",
  authorizeUrl: "https://linear.app/oauth/authorize",
  tokenUrl: "https://api.linear.app/oauth/token",
  pkce: true,
  clientAuth: "post",
  scopeSeparator: ",",
  extraParams: { prompt: "consent" },
};

const hubspot: Provider = {
  name: "hubspot",
  authorizeUrl: "https://app.hubspot.com/oauth/authorize",
  tokenUrl: "https://api.hubapi.com/oauth/v1/token",
  pkce: false,
  clientAuth: "post",
  scopeSeparator: " ",
};

const salesforce: Provider = {
  name: "salesforce",
  authorizeUrl: "https://login.salesforce.com/services/oauth2/authorize",
  tokenUrl: "https://login.salesforce.com/services/oauth2/token",
  pkce: true,
  clientAuth: "post",
  scopeSeparator: " ",
};

const discord: Provider = {
  name: "discord",
  authorizeUrl: "https://discord.com/oauth2/authorize",
  tokenUrl: "https://discord.com/api/oauth2/token",
  pkce: false,
  clientAuth: "post",
  scopeSeparator: " ",
};

const GOOGLE_IDENTITY = [
  "openid",
  "https://www.googleapis.com/auth/userinfo.email",
  "https://www.googleapis.com/auth/userinfo.profile",
];
const g = (scope: string) => `https://www.googleapis.com/auth/${scope}`;

function googleApp(...scopes: string[]): Omit<OAuthIntegration, "redirect"> {
  return {
    provider: google,
    clientIdEnv: "GOOGLE_CLIENT_ID",
    clientSecretEnv: "GOOGLE_CLIENT_SECRET",
    scopes: [...GOOGLE_IDENTITY, ...scopes.map(g)],
  };
}

function app(
  provider: Provider,
  env: string,
  scopes: string[],
): Omit<OAuthIntegration, "redirect"> {
  return {
    provider,
    clientIdEnv: `${env}_CLIENT_ID`,
    clientSecretEnv: `${env}_CLIENT_SECRET`,
    scopes,
  };
}

const JIRA_SCOPES = [
  "read:jira-work",
  "read:jira-user",
  "write:jira-work",
  "manage:jira-webhook",
  "read:account",
  "offline_access",
];
const CONFLUENCE_SCOPES = [
  "read:confluence-content.all",
  "write:confluence-content",
  "read:confluence-space.summary",
  "search:confluence",
  "read:confluence-user",
  "read:account",
  "offline_access",
];
const MICROSOFT_SCOPES = ["offline_access", "User.Read"];

// By integration name, as manifests name them (AutoKitteh's names). The Google ones share
// one OAuth app, hence one redirect URL.
const TABLE: Record<string, Omit<OAuthIntegration, "redirect"> & { redirect?: string }> = {
  google: googleApp(
    "drive.file",
    "calendar",
    "calendar.events",
    "chat.memberships",
    "chat.messages",
    "chat.spaces",
    "forms.body",
    "forms.responses.readonly",
    "spreadsheets",
    "gmail.modify",
    "gmail.settings.basic",
  ),
  gmail: { ...googleApp("gmail.modify", "gmail.settings.basic"), redirect: "google" },
  googlecalendar: { ...googleApp("calendar", "calendar.events"), redirect: "google" },
  googlechat: {
    ...googleApp("chat.memberships", "chat.messages", "chat.spaces"),
    redirect: "google",
  },
  googledrive: { ...googleApp("drive.file"), redirect: "google" },
  googleforms: {
    ...googleApp("forms.body", "forms.responses.readonly"),
    redirect: "google",
  },
  googlesheets: { ...googleApp("spreadsheets"), redirect: "google" },
  github: app(github, "GITHUB", ["repo", "read:org", "workflow"]),
  slack: app(slack, "SLACK", [
    "app_mentions:read",
    "channels:history",
    "channels:read",
    "chat:write",
    "commands",
    "groups:history",
    "groups:read",
    "im:history",
    "im:read",
    "im:write",
    "reactions:read",
    "reactions:write",
    "users:read",
    "users:read.email",
  ]),
  jira: app(atlassian, "JIRA", JIRA_SCOPES),
  confluence: app(atlassian, "CONFLUENCE", CONFLUENCE_SCOPES),
  microsoft: app(microsoft, "MICROSOFT", [
    ...MICROSOFT_SCOPES,
    "Files.ReadWrite.All",
    "ChannelMessage.Send",
    "Chat.ReadWrite",
  ]),
  microsoft_excel: {
    ...app(microsoft, "MICROSOFT", [...MICROSOFT_SCOPES, "Files.ReadWrite.All"]),
    redirect: "microsoft",
  },
  microsoft_teams: {
    ...app(microsoft, "MICROSOFT", [
      ...MICROSOFT_SCOPES,
      "ChannelMessage.Send",
      "Chat.ReadWrite",
      "Team.ReadBasic.All",
    ]),
    redirect: "microsoft",
  },
  zoom: app(zoom, "ZOOM", []),
  linear: app(linear, "LINEAR", ["read", "write"]),
  hubspot: app(hubspot, "HUBSPOT", [
    "oauth",
    "crm.objects.contacts.read",
    "crm.objects.contacts.write",
  ]),
  salesforce: app(salesforce, "SALESFORCE", ["api", "refresh_token"]),
  discord: app(discord, "DISCORD", ["identify", "guilds"]),
};

export function oauthIntegration(integration: string): OAuthIntegration | undefined {
  const row = TABLE[integration];
  return row && { ...row, redirect: row.redirect ?? integration };
}

export function oauthIntegrationNames(): string[] {
  return Object.keys(TABLE);
}

// Environment names of the OAuth apps' client secrets: the daemon's, never a session's.
export function clientSecretEnvNames(): string[] {
  return [...new Set(Object.values(TABLE).map((r) => r.clientSecretEnv))];
}

// Where the provider is reached: its own URLs, or a stand-in's origin (tests, proxies)
// from POUNCE_OAUTH_<PROVIDER>_BASE_URL with the same paths.
export function endpoints(
  provider: Provider,
  env: Record<string, string | undefined> = process.env,
): { authorizeUrl: string; tokenUrl: string; overridden: boolean } {
  const base = env[`POUNCE_OAUTH_${provider.name.toUpperCase()}_BASE_URL`];
  if (!base) {
    return { authorizeUrl: provider.authorizeUrl, tokenUrl: provider.tokenUrl, overridden: false };
  }
  const at = (url: string) => {
    const u = new URL(url);
    return base.replace(/\/+$/, "") + u.pathname + u.search;
  };
  return {
    authorizeUrl: at(provider.authorizeUrl),
    tokenUrl: at(provider.tokenUrl),
    overridden: true,
  };
}
