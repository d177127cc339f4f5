// Slack events in AutoKitteh's shape. AutoKitteh decodes each payload into its Go structs
// and hands handlers every field those structs declare, zero-valued ("", 0, false, [])
// when Slack left it out, and null for an absent nested object. Handlers and filters
// rely on that (`data.thread_ts == ''` for a top-level message), so the same fields are
// filled in here. Fields Slack sent that the structs do not declare are kept.

// A field's zero value, or the shape of a nested object ([shape]: a list of them).
type Field = "" | 0 | false | "list" | Shape | [Shape];
export type Shape = { readonly [field: string]: Field };

const fields = (spec: Record<string, Field>): Shape => spec;

const EDITED = fields({ user: "", ts: "" });
const BOT_PROFILE = fields({
  id: "",
  app_id: "",
  team_id: "",
  name: "",
  deleted: false,
  updated: 0,
});
const REACTION = fields({ name: "", users: "list", count: 0 });

const MESSAGE_FIELDS: Record<string, Field> = {
  type: "",
  subtype: "",
  hidden: false,
  text: "",
  blocks: "list",
  edited: EDITED,
  user: "",
  app_id: "",
  bot_id: "",
  bot_profile: BOT_PROFILE,
  parent_user_id: "",
  team: "",
  channel: "",
  channel_type: "",
  ts: "",
  event_ts: "",
  permalink: "",
  reply_count: 0,
  reply_users_count: 0,
  latest_reply: "",
  reply_users: "list",
  last_read: "",
  unread_count: 0,
  unread_count_display: 0,
  is_locked: false,
  subscribed: false,
  is_starred: false,
  pinned_to: "list",
  reactions: [REACTION],
  inviter: "",
  name: "",
  old_name: "",
  purpose: "",
  topic: "",
  deleted_ts: "",
  thread_ts: "",
  client_msg_id: "",
};
// A message nests messages (an edit's new and previous text, a broadcast's root).
export const MESSAGE: Shape = MESSAGE_FIELDS;
MESSAGE_FIELDS.message = MESSAGE;
MESSAGE_FIELDS.previous_message = MESSAGE;
MESSAGE_FIELDS.root = MESSAGE;

const TOPIC = fields({ value: "", creator: "", last_set: 0 });

export const CHANNEL = fields({
  id: "",
  name: "",
  name_normalized: "",
  previous_name: "list",
  creator: "",
  user: "",
  is_member: false,
  is_read_only: false,
  is_thread_only: false,
  topic: TOPIC,
  purpose: TOPIC,
  last_read: "",
  unread_count: 0,
  unread_count_display: 0,
  is_archived: false,
  is_channel: false,
  is_frozen: false,
  is_general: false,
  is_group: false,
  is_im: false,
  is_mpim: false,
  is_open: false,
  is_private: false,
  is_shared: false,
  is_org_shared: false,
  is_ext_shared: false,
  is_pending_ext_shared: false,
  context_team_id: "",
  shared_team_ids: "list",
  pending_connected_team_ids: "list",
  created: 0,
  updated: 0,
  unlinked: 0,
  latest: MESSAGE,
  locale: "",
  num_members: 0,
  priority: 0,
});

const APP_MENTION = fields({
  type: "",
  user: "",
  team: "",
  channel: "",
  ts: "",
  event_ts: "",
  text: "",
  blocks: "list",
  client_msg_id: "",
});

const APP_HOME_OPENED = fields({ type: "", user: "", channel: "", tab: "", event_ts: "" });

const REACTION_EVENT = fields({
  type: "",
  user: "",
  reaction: "",
  item: fields({ type: "", channel: "", ts: "", file: "", file_comment: "" }),
  item_user: "",
  event_ts: "",
});

const CHANNEL_CREATED = fields({ type: "", channel: CHANNEL, event_ts: "" });

const CHANNEL_MEMBER = fields({
  type: "",
  channel: "",
  channel_type: "",
  user: "",
  inviter: "",
  is_moved: false,
  event_ts: "",
  team: "",
  enterprise: "",
});

const PROFILE = fields(
  Object.fromEntries(
    [
      "first_name",
      "last_name",
      "real_name",
      "real_name_normalized",
      "display_name",
      "display_name_normalized",
      "email",
      "phone",
      "title",
      "pronouns",
      "start_date",
      "team",
      "api_app_id",
      "bot_id",
      "status_text",
      "status_text_canonical",
      "status_emoji",
      "image_original",
      "image_24",
      "image_32",
      "image_48",
      "image_72",
      "image_192",
      "image_512",
      "image_1024",
      "avatar_hash",
    ].map((name) => [name, ""] as [string, Field]).concat([
      ["always_active", false],
      ["status_expiration", 0],
      ["is_custom_image", false],
    ]),
  ),
);

const USER = fields({
  id: "",
  team_id: "",
  real_name: "",
  profile: PROFILE,
  enterprise_user: fields({
    enterprise_id: "",
    enterprise_name: "",
    id: "",
    is_admin: false,
    is_owner: false,
    teams: "list",
  }),
  deleted: false,
  is_admin: false,
  is_app_user: false,
  is_bot: false,
  is_email_confirmed: false,
  is_invited_user: false,
  is_owner: false,
  is_primary_owner: false,
  is_restricted: false,
  is_stranger: false,
  is_ultra_restricted: false,
  tz: "",
  tz_label: "",
  tz_offset: 0,
  updated: 0,
});

export const INTERACTION = fields({
  type: "",
  user: USER,
  container: fields({
    type: "",
    message_ts: "",
    channel_id: "",
    is_ephemeral: false,
    view_id: "",
  }),
  actions: [fields({
    type: "",
    block_id: "",
    action_ts: "",
    action_id: "",
    value: "",
    style: "",
    text: fields({ type: "", text: "", emoji: false, verbatim: false }),
  })],
  api_app_id: "",
  team: fields({ id: "", domain: "", name: "" }),
  is_enterprise_install: false,
  enterprise: fields({ id: "", name: "" }),
  channel: CHANNEL,
  message: MESSAGE,
  response_url: "",
  trigger_id: "",
});

// The inner event's shape, by its type; undefined: passed on as Slack sent it.
const BY_EVENT_TYPE: Record<string, Shape> = {
  message: MESSAGE,
  app_mention: APP_MENTION,
  app_home_opened: APP_HOME_OPENED,
  reaction_added: REACTION_EVENT,
  reaction_removed: REACTION_EVENT,
  channel_created: CHANNEL_CREATED,
  channel_rename: CHANNEL_CREATED,
  group_rename: CHANNEL_CREATED,
  channel_archive: CHANNEL_MEMBER,
  channel_unarchive: CHANNEL_MEMBER,
  group_archive: CHANNEL_MEMBER,
  group_open: CHANNEL_MEMBER,
  group_unarchive: CHANNEL_MEMBER,
  member_joined_channel: CHANNEL_MEMBER,
  member_left_channel: CHANNEL_MEMBER,
};

export function eventShape(eventType: string): Shape | undefined {
  return Object.hasOwn(BY_EVENT_TYPE, eventType) ? BY_EVENT_TYPE[eventType] : undefined;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === "object" && !Array.isArray(v);

// `value` with every field of `shape` present. Depth is bounded by the payload's own
// nesting (a nested shape is followed only where the payload has an object).
export function filled(value: Obj, shape: Shape): Obj {
  const out: Obj = { ...value };
  for (const [name, field] of Object.entries(shape)) {
    const v = out[name];
    if (Array.isArray(field)) {
      out[name] = Array.isArray(v)
        ? v.map((item) => isObj(item) ? filled(item, field[0]) : item)
        : [];
    } else if (typeof field === "object") {
      out[name] = isObj(v) ? filled(v, field) : null;
    } else if (v === undefined || v === null) {
      out[name] = field === "list" ? [] : field;
    }
  }
  return out;
}
