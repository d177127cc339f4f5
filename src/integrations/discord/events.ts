// Discord gateway dispatches as Pounce events, in the shape AutoKitteh delivers them.
// AutoKitteh hands handlers discordgo's event structs, converted field by field: names
// are the Go field names in snake_case (which match Discord's JSON keys), and every field
// of the struct is there, at its zero value when Discord leaves it out. So: the payload
// as Discord sends it, over the zero values of the fields discordgo always has.
type Obj = Record<string, unknown>;

const obj = (v: unknown): Obj | undefined =>
  v && typeof v === "object" && !Array.isArray(v) ? v as Obj : undefined;
const str = (v: unknown): string => (typeof v === "string" ? v : "");

// discordgo.User
const USER: Obj = {
  id: "",
  email: "",
  username: "",
  avatar: "",
  locale: "",
  discriminator: "",
  global_name: "",
  token: "",
  verified: false,
  mfa_enabled: false,
  banner: "",
  accent_color: 0,
  bot: false,
  public_flags: 0,
  premium_type: 0,
  system: false,
  flags: 0,
};

// discordgo.Message
const MESSAGE: Obj = {
  id: "",
  channel_id: "",
  guild_id: "",
  content: "",
  timestamp: null,
  edited_timestamp: null,
  mention_roles: [],
  tts: false,
  mention_everyone: false,
  author: null,
  attachments: [],
  components: [],
  embeds: [],
  mentions: [],
  reactions: [],
  pinned: false,
  type: 0,
  webhook_id: "",
  member: null,
  mention_channels: [],
  activity: null,
  application: null,
  message_reference: null,
  referenced_message: null,
  interaction: null,
  interaction_metadata: null,
  flags: 0,
  thread: null,
  sticker_items: [],
  poll: null,
};

// discordgo.MessageReaction
const REACTION: Obj = { user_id: "", message_id: "", emoji: null, channel_id: "", guild_id: "" };

// discordgo.Presence, with the guild of a PresenceUpdate.
const PRESENCE: Obj = {
  user: null,
  status: "",
  activities: [],
  since: null,
  client_status: { desktop: "", mobile: "", web: "" },
  guild_id: "",
};

// discordgo.Channel (threads are channels).
const CHANNEL: Obj = {
  id: "",
  guild_id: "",
  name: "",
  topic: "",
  type: 0,
  last_message_id: "",
  last_pin_timestamp: null,
  message_count: 0,
  member_count: 0,
  nsfw: false,
  icon: "",
  position: 0,
  bitrate: 0,
  recipients: [],
  messages: [],
  permission_overwrites: [],
  user_limit: 0,
  parent_id: "",
  rate_limit_per_user: 0,
  owner_id: "",
  application_id: "",
  thread_metadata: null,
  member: null,
  members: [],
  flags: 0,
  available_tags: [],
  applied_tags: [],
  default_reaction_emoji: { emoji_id: "", emoji_name: "" },
  default_thread_rate_limit_per_user: 0,
  default_sort_order: null,
  default_forum_layout: 0,
};

function message(d: Obj, extra: Obj): Obj {
  const author = obj(d.author);
  return { ...MESSAGE, ...extra, ...d, author: author ? { ...USER, ...author } : null };
}

function user(v: unknown): Obj | null {
  const u = obj(v);
  return u ? { ...USER, ...u } : null;
}

type Shape = {
  // AutoKitteh's event type.
  type: string;
  data(d: Obj): Obj;
  // Who caused the event: events the connection's own bot caused are dropped, as
  // AutoKitteh drops them.
  initiator(d: Obj): string;
};

// The dispatches AutoKitteh turns into events, by their gateway name.
const SHAPES: Record<string, Shape> = {
  MESSAGE_CREATE: {
    type: "message_create",
    data: (d) => message(d, {}),
    initiator: (d) => str(obj(d.author)?.id),
  },
  MESSAGE_UPDATE: {
    type: "message_update",
    data: (d) => message(d, { before_update: null }),
    initiator: (d) => str(obj(d.author)?.id),
  },
  MESSAGE_DELETE: {
    type: "message_delete",
    data: (d) => message(d, { before_delete: null }),
    initiator: () => "",
  },
  MESSAGE_REACTION_ADD: {
    type: "message_reaction_add",
    data: (d) => ({ ...REACTION, member: null, ...d }),
    initiator: (d) => str(d.user_id),
  },
  MESSAGE_REACTION_REMOVE: {
    type: "message_reaction_remove",
    data: (d) => ({ ...REACTION, ...d }),
    initiator: (d) => str(d.user_id),
  },
  PRESENCE_UPDATE: {
    type: "presence_update",
    data: (d) => ({ ...PRESENCE, ...d, user: user(d.user) }),
    initiator: (d) => str(obj(d.user)?.id),
  },
  THREAD_CREATE: {
    type: "thread_create",
    data: (d) => ({ ...CHANNEL, newly_created: false, ...d }),
    initiator: (d) => str(d.owner_id),
  },
  THREAD_UPDATE: {
    type: "thread_update",
    data: (d) => ({ ...CHANNEL, before_update: null, ...d }),
    initiator: (d) => str(d.owner_id),
  },
  THREAD_DELETE: {
    type: "thread_delete",
    data: (d) => ({ ...CHANNEL, ...d }),
    initiator: (d) => str(d.owner_id),
  },
};

export const EVENT_TYPES: readonly string[] = Object.values(SHAPES).map((s) => s.type);

export type DiscordEvent = {
  eventType: string;
  data: Obj;
  // Names the event across a RESUME's redelivery (and across daemons where the event has
  // an identity of its own, such as a message id), for the replay guard.
  identity: string;
};

// Where the dispatch was received: its gateway session and sequence number, which a
// RESUME redelivers unchanged.
export type Received = { sessionId: string; seq: number };

function identityOf(eventType: string, d: Obj, at: Received): string {
  const id = str(d.id);
  if (id && (eventType === "message_create" || eventType === "message_delete")) {
    return `${eventType}:${id}`;
  }
  const edited = str(d.edited_timestamp);
  if (id && eventType === "message_update" && edited) return `${eventType}:${id}:${edited}`;
  return `${eventType}:${at.sessionId}:${at.seq}`;
}

// The event for a dispatch, or null when it starts nothing (a type AutoKitteh does not
// deliver, or one the bot caused itself).
export function fromDispatch(
  t: string,
  payload: unknown,
  at: Received,
  botUserId: string,
): DiscordEvent | null {
  const shape = SHAPES[t];
  const d = obj(payload);
  if (!shape || !d) return null;
  const initiator = shape.initiator(d);
  if (botUserId && initiator === botUserId) return null;
  return { eventType: shape.type, data: shape.data(d), identity: identityOf(shape.type, d, at) };
}
