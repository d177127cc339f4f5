// The database schema. Change it, then run `npm run db:generate` to add a migration.
import {
  blob,
  index,
  integer,
  primaryKey,
  sqliteTable,
  text,
  uniqueIndex,
} from "drizzle-orm/sqlite-core";

const timestamps = {
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
};

export const projects = sqliteTable("projects", {
  id: text("id").primaryKey(),
  name: text("name").notNull().unique(),
  displayName: text("display_name"),
  ...timestamps,
});

// A var belongs to a project or to a connection (scope_id is either id).
export const vars = sqliteTable("vars", {
  scopeId: text("scope_id").notNull(),
  name: text("name").notNull(),
  value: text("value").notNull(),
  isSecret: integer("is_secret", { mode: "boolean" }).notNull().default(false),
  description: text("description"),
  // Set with `pounce var set` (not by a deploy): a deploy asks before deleting it.
  setByHand: integer("set_by_hand", { mode: "boolean" }).notNull().default(false),
  ...timestamps,
}, (t) => [primaryKey({ columns: [t.scopeId, t.name] })]);

export const connections = sqliteTable("connections", {
  id: text("id").primaryKey(),
  projectId: text("project_id").notNull().references(() => projects.id, { onDelete: "cascade" }),
  name: text("name").notNull(),
  integration: text("integration").notNull(),
  ...timestamps,
}, (t) => [uniqueIndex("connections_project_name").on(t.projectId, t.name)]);

export const triggers = sqliteTable("triggers", {
  id: text("id").primaryKey(),
  projectId: text("project_id").notNull().references(() => projects.id, { onDelete: "cascade" }),
  name: text("name").notNull(),
  sourceType: text("source_type", { enum: ["webhook", "schedule", "connection"] }).notNull(),
  eventType: text("event_type").notNull().default(""),
  filter: text("filter").notNull().default(""),
  call: text("call"),
  isDurable: integer("is_durable", { mode: "boolean" }).notNull(),
  isSync: integer("is_sync", { mode: "boolean" }).notNull().default(false),
  connectionId: text("connection_id"),
  schedule: text("schedule"),
  timezone: text("timezone"),
  webhookSlug: text("webhook_slug").unique(),
  // Schedules: the last tick dispatched, so a tick missed while down fires once at start.
  lastTickAt: integer("last_tick_at"),
  ...timestamps,
}, (t) => [uniqueIndex("triggers_project_name").on(t.projectId, t.name)]);

export const builds = sqliteTable("builds", {
  id: text("id").primaryKey(),
  projectId: text("project_id").notNull().references(() => projects.id, { onDelete: "cascade" }),
  // JSON {"files": {path: base64}}: the project's files, immutable.
  files: blob("files", { mode: "buffer" }).notNull(),
  exports: text("exports", { mode: "json" }).notNull(),
  createdAt: integer("created_at").notNull(),
});

export type DeploymentState = "active" | "draining" | "inactive" | "testing";

export const deployments = sqliteTable("deployments", {
  id: text("id").primaryKey(),
  projectId: text("project_id").notNull().references(() => projects.id, { onDelete: "cascade" }),
  buildId: text("build_id").notNull(),
  state: text("state").$type<DeploymentState>().notNull(),
  ...timestamps,
}, (t) => [index("deployments_project").on(t.projectId, t.state)]);

export const events = sqliteTable("events", {
  seq: integer("seq").primaryKey({ autoIncrement: true }),
  id: text("id").notNull().unique(),
  projectId: text("project_id"),
  // The trigger or connection the event arrived on.
  destinationId: text("destination_id").notNull(),
  eventType: text("event_type").notNull(),
  data: text("data", { mode: "json" }).notNull(),
  memo: text("memo", { mode: "json" }).notNull(),
  dispatched: integer("dispatched", { mode: "boolean" }).notNull().default(false),
  createdAt: integer("created_at").notNull(),
}, (t) => [index("events_destination").on(t.destinationId, t.seq)]);

export type SessionState = "created" | "running" | "completed" | "error" | "stopped";

export const sessions = sqliteTable("sessions", {
  id: text("id").primaryKey(),
  projectId: text("project_id").notNull().references(() => projects.id, { onDelete: "cascade" }),
  deploymentId: text("deployment_id"),
  buildId: text("build_id").notNull(),
  eventId: text("event_id"),
  triggerId: text("trigger_id"),
  parentId: text("parent_id"),
  entrypoint: text("entrypoint").notNull(),
  inputs: text("inputs", { mode: "json" }).notNull(),
  memo: text("memo", { mode: "json" }).notNull(),
  isDurable: integer("is_durable", { mode: "boolean" }).notNull(),
  state: text("state").$type<SessionState>().notNull(),
  // How many times a runner was (re)started for this session.
  runs: integer("runs").notNull().default(0),
  error: text("error"),
  // A durable session waiting without a runner; woken by an event, a signal or wakeAt.
  hibernated: integer("hibernated", { mode: "boolean" }).notNull().default(false),
  wakeAt: integer("wake_at"),
  // Scale-out: the node running the session and until when its claim holds.
  owner: text("owner"),
  leaseUntil: integer("lease_until"),
  // The lease's fencing token: one more at every claim (sessions/leases.ts). A run's
  // writes commit only while it is still the session's (sessions/fence.ts).
  leaseEpoch: integer("lease_epoch").notNull().default(0),
  // Set by `session stop`; the node that owns the session stops it.
  stopReason: text("stop_reason"),
  returnDisplay: text("return_display"),
  returnValue: blob("return_value", { mode: "buffer" }),
  createdAt: integer("created_at").notNull(),
  startedAt: integer("started_at"),
  endedAt: integer("ended_at"),
  updatedAt: integer("updated_at").notNull(),
}, (t) => [
  index("sessions_project").on(t.projectId, t.createdAt),
  // Upkeep (leases.ts) reads live sessions by state, by owner and by wake time; none of
  // these reads may scan the hibernated ones.
  index("sessions_state").on(t.state, t.hibernated),
  index("sessions_owner").on(t.owner, t.state),
  index("sessions_wake").on(t.hibernated, t.wakeAt),
]);

export type LogRecordType =
  | "print"
  | "call_spec"
  | "call_attempt_start"
  | "call_attempt_complete"
  | "state"
  | "stop_request"
  | "outcome"
  // A wait that went idle: `text` says on what (sessions/waits.ts).
  | "wait";

export const sessionLogs = sqliteTable("session_logs", {
  // Global and never reused (AUTOINCREMENT): the cursor a project's live tail resumes from.
  id: integer("id").primaryKey({ autoIncrement: true }),
  sessionId: text("session_id").notNull().references(() => sessions.id, {
    onDelete: "cascade",
  }),
  seq: integer("seq").notNull(),
  type: text("type").$type<LogRecordType>().notNull(),
  data: text("data", { mode: "json" }).notNull(),
  createdAt: integer("created_at").notNull(),
}, (t) => [uniqueIndex("session_logs_session_seq").on(t.sessionId, t.seq)]);

// The journal: one row per durable step of a session (see docs/protocol.md).
export const sessionSteps = sqliteTable("session_steps", {
  sessionId: text("session_id").notNull().references(() => sessions.id, {
    onDelete: "cascade",
  }),
  seq: integer("seq").notNull(),
  // "activity", "sleep", or a syscall's name ("subscribe", "next_event", "start", ...).
  kind: text("kind").notNull(),
  name: text("name").notNull(),
  // The JSON of an activity's arguments; these three sealed for projects with secrets
  // (at-rest.ts).
  args: text("args"),
  deadline: integer("deadline"),
  result: blob("result", { mode: "buffer" }),
  error: integer("error", { mode: "boolean" }).notNull().default(false),
  display: text("display"),
  startedAt: integer("started_at").notNull(),
  completedAt: integer("completed_at"),
}, (t) => [primaryKey({ columns: [t.sessionId, t.seq] })]);

// A session's subscription to events on a trigger or connection (AutoKitteh §7).
export const subscriptions = sqliteTable(
  "subscriptions",
  {
    id: text("id").primaryKey(),
    sessionId: text("session_id").notNull().references(() => sessions.id, {
      onDelete: "cascade",
    }),
    destinationId: text("destination_id").notNull(),
    filter: text("filter").notNull().default(""),
    // The seq of the last event this subscription has consumed (or saw when created).
    cursor: integer("cursor").notNull(),
    createdAt: integer("created_at").notNull(),
    // The filter's equality guard (filter-guard.ts), null when it has none: an event
    // reads only the subscriptions whose guard it meets, and the unguarded ones.
    guardPath: text("guard_path"),
    guardValue: text("guard_value"),
  },
  (
    t,
  ) => [
    index("subscriptions_session").on(t.sessionId),
    index("subscriptions_destination").on(t.destinationId, t.guardPath, t.guardValue),
  ],
);

// Signals sent to a session, buffered until it consumes them.
export const signals = sqliteTable("signals", {
  seq: integer("seq").primaryKey({ autoIncrement: true }),
  sessionId: text("session_id").notNull().references(() => sessions.id, {
    onDelete: "cascade",
  }),
  name: text("name").notNull(),
  // JSON, sealed when the sender's project has secrets (at-rest.ts).
  payload: text("payload"),
  consumed: integer("consumed", { mode: "boolean" }).notNull().default(false),
  createdAt: integer("created_at").notNull(),
}, (t) => [index("signals_session").on(t.sessionId, t.consumed)]);

// The project key/value store (AutoKitteh §5).
export const storeValues = sqliteTable("store_values", {
  projectId: text("project_id").notNull().references(() => projects.id, { onDelete: "cascade" }),
  key: text("key").notNull(),
  // JSON, sealed for projects with secrets (at-rest.ts).
  value: text("value").notNull(),
  published: integer("published", { mode: "boolean" }).notNull().default(false),
  ...timestamps,
}, (t) => [primaryKey({ columns: [t.projectId, t.key] })]);

// Signed inbound requests already taken (Slack signatures, GitHub delivery ids), so a
// replay of one is refused; kept until `expires_at` (epoch ms).
export const seenRequests = sqliteTable("seen_requests", {
  key: text("key").primaryKey(),
  expiresAt: integer("expires_at").notNull(),
}, (t) => [index("seen_requests_expiry").on(t.expiresAt)]);

// What a long-lived source keeps for a connection across restarts (a Google watch channel,
// its expiry and sync token): JSON written by the integration, its secrets sealed by it.
export const sourceStates = sqliteTable("source_states", {
  // No foreign key: when a connection goes, its source reads this state to stop what it
  // runs (a Google watch channel), then deletes it.
  connectionId: text("connection_id").notNull(),
  kind: text("kind").notNull(),
  state: text("state").notNull(),
  updatedAt: integer("updated_at").notNull(),
}, (t) => [primaryKey({ columns: [t.connectionId, t.kind] })]);

// Which daemon runs a long-lived source (a watch's renewals, a gateway link) when several
// share the database: held by `owner` until `until` (epoch ms) unless renewed.
export const sourceLeases = sqliteTable("source_leases", {
  name: text("name").primaryKey(),
  owner: text("owner").notNull(),
  until: integer("until").notNull(),
});
