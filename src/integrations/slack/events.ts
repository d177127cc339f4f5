// Slack payloads (from HTTP requests or Socket Mode envelopes) as Pounce events, and the
// install ids (`<app_id>/<enterprise_id>/<team_id>`) that route them to connections.
import { eventShape, filled, INTERACTION } from "./shapes.ts";

export type SlackEvent = { eventType: string; data: Record<string, unknown> };

// `event` is null for payloads that start nothing (the bot's own messages, other
// envelope types).
export type Parsed = { installIds: string; event: SlackEvent | null };

type Obj = Record<string, unknown>;

const obj = (v: unknown): Obj => (v && typeof v === "object" && !Array.isArray(v) ? v as Obj : {});
const str = (v: unknown): string => (typeof v === "string" ? v : "");

export function installIds(appId: string, enterpriseId: string, teamId: string): string {
  return `${appId}/${enterpriseId}/${teamId}`;
}

// Messages and mentions written by the app's own bot user would otherwise loop back into
// the workflow that wrote them (AutoKitteh drops them the same way).
function isOwn(body: Obj, inner: Obj): boolean {
  const type = str(inner.type);
  if (type !== "message" && type !== "app_mention") return false;
  const selves = new Set(
    (Array.isArray(body.authorizations) ? body.authorizations : [])
      .map((a) => str(obj(a).user_id)).filter(Boolean),
  );
  const user = str(inner.user) || (type === "message" ? str(obj(inner.message).user) : "");
  return user !== "" && selves.has(user);
}

// An Events API callback; its event type is the inner event's.
export function fromEventCallback(body: Obj): Parsed {
  const inner = obj(body.event);
  const ids = installIds(str(body.api_app_id), str(body.enterprise_id), str(body.team_id));
  if (body.type !== "event_callback" || !str(inner.type) || isOwn(body, inner)) {
    return { installIds: ids, event: null };
  }
  const shape = eventShape(str(inner.type));
  return {
    installIds: ids,
    event: { eventType: str(inner.type), data: shape ? filled(inner, shape) : inner },
  };
}

const COMMAND_FIELDS = [
  "team_id",
  "team_domain",
  "enterprise_id",
  "enterprise_name",
  "api_app_id",
  "channel_id",
  "channel_name",
  "user_id",
  "command",
  "text",
  "response_url",
  "trigger_id",
];

// A slash command's form fields (Socket Mode sends them as a JSON object).
export function fromSlashCommand(fields: Obj): Parsed {
  const data: Obj = { is_enterprise_install: str(fields.is_enterprise_install) === "true" };
  for (const k of COMMAND_FIELDS) data[k] = str(fields[k]);
  return {
    installIds: installIds(str(fields.api_app_id), str(fields.enterprise_id), str(fields.team_id)),
    event: { eventType: "slash_command", data },
  };
}

// Slack shows this to the user who ran the command, as AutoKitteh answers.
export function slashCommandReply(data: Obj): Obj {
  return {
    response_type: "ephemeral",
    text: `Your command: \`${str(data.command)} ${str(data.text)}\``,
  };
}

// A block action, shortcut or view submission: the payload as Slack sent it, with the
// fields of AutoKitteh's block-actions struct filled in.
export function fromInteraction(payload: Obj): Parsed {
  return {
    installIds: installIds(
      str(payload.api_app_id),
      str(obj(payload.enterprise).id),
      str(obj(payload.team).id),
    ),
    event: { eventType: "interaction", data: filled(payload, INTERACTION) },
  };
}
