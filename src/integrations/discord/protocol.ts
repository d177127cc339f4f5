// The parts of Discord's gateway protocol Pounce speaks.
// https://discord.com/developers/docs/events/gateway
export const GATEWAY_VERSION = 10;

export const Op = {
  dispatch: 0,
  heartbeat: 1,
  identify: 2,
  resume: 6,
  reconnect: 7,
  invalidSession: 9,
  hello: 10,
  heartbeatAck: 11,
} as const;

export type Frame = { op: number; d?: unknown; s?: number | null; t?: string | null };

// discordgo's IntentsAll, which AutoKitteh identifies with: every intent, the privileged
// ones (members, presences, message content) included, so they must be enabled for the
// bot in the Developer Portal (else Discord closes with 4014).
export const INTENTS_ALL = 3276799;

// Close codes after which reconnecting cannot help: the link stops and says why, until
// the connection's configuration changes.
export const FATAL_CLOSE: Record<number, string> = {
  4004: "auth failed",
  4010: "invalid shard",
  4011: "sharding required",
  4012: "invalid API version",
  4013: "invalid intents",
  4014: "disallowed intents",
};

// Close codes after which the session cannot be resumed: identify anew.
export const SESSION_GONE = new Set([4007, 4009]);

// A close code the client sends when it means to resume: Discord ends the session on
// 1000 and 1001.
export const CLOSE_TO_RESUME = 4000;

const BACKOFF_FIRST_MS = 1_000;
const BACKOFF_MAX_MS = 60_000;

export function backoff(attempt: number, random = Math.random): number {
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** attempt);
  return Math.round(base * (0.5 + random()));
}

// The gateway's WebSocket URL with the version and encoding Pounce speaks.
export function gatewayUrl(base: string): string {
  const url = new URL(base);
  url.searchParams.set("v", String(GATEWAY_VERSION));
  url.searchParams.set("encoding", "json");
  return url.toString();
}
