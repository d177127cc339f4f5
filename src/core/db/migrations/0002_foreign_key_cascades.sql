-- Hand-written (drizzle-kit's own rebuild would reset the AUTOINCREMENT counters): every
-- child table is rebuilt with a foreign key to its owner, ON DELETE CASCADE, parents before
-- children, so no old table is dropped while a rebuilt one refers to it (safe whether
-- foreign_keys is on or off). Rows whose owner is already gone are not carried over.
-- session_logs' and signals' ids must never be reused (the live tail resumes by id): their
-- sqlite_sequence values are kept aside and put back.
-- Not here, on purpose: vars.scope_id and events.destination_id name a project or a
-- connection (resp. a trigger or a connection), so they have no foreign key; sessions'
-- deployment_id, build_id, trigger_id, event_id and parent_id keep none either (deleting a
-- deployment leaves its sessions as they are); source_states neither (a gone connection's
-- source reads it to stop its channel, then deletes it).
CREATE TABLE `__sequences_0002` (`name` text PRIMARY KEY NOT NULL, `seq` integer NOT NULL);
--> statement-breakpoint
INSERT INTO `__sequences_0002` (`name`, `seq`) SELECT `name`, `seq` FROM `sqlite_sequence` WHERE `name` IN ('session_logs', 'signals');
--> statement-breakpoint
CREATE TABLE `__new_connections` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`name` text NOT NULL,
	`integration` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
INSERT INTO `__new_connections`("id", "project_id", "name", "integration", "created_at", "updated_at") SELECT "id", "project_id", "name", "integration", "created_at", "updated_at" FROM `connections` WHERE `project_id` IN (SELECT `id` FROM `projects`);
--> statement-breakpoint
DROP TABLE `connections`;
--> statement-breakpoint
ALTER TABLE `__new_connections` RENAME TO `connections`;
--> statement-breakpoint
CREATE UNIQUE INDEX `connections_project_name` ON `connections` (`project_id`,`name`);
--> statement-breakpoint
CREATE TABLE `__new_triggers` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`name` text NOT NULL,
	`source_type` text NOT NULL,
	`event_type` text DEFAULT '' NOT NULL,
	`filter` text DEFAULT '' NOT NULL,
	`call` text,
	`is_durable` integer NOT NULL,
	`is_sync` integer DEFAULT false NOT NULL,
	`connection_id` text,
	`schedule` text,
	`timezone` text,
	`webhook_slug` text,
	`last_tick_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
INSERT INTO `__new_triggers`("id", "project_id", "name", "source_type", "event_type", "filter", "call", "is_durable", "is_sync", "connection_id", "schedule", "timezone", "webhook_slug", "last_tick_at", "created_at", "updated_at") SELECT "id", "project_id", "name", "source_type", "event_type", "filter", "call", "is_durable", "is_sync", "connection_id", "schedule", "timezone", "webhook_slug", "last_tick_at", "created_at", "updated_at" FROM `triggers` WHERE `project_id` IN (SELECT `id` FROM `projects`);
--> statement-breakpoint
DROP TABLE `triggers`;
--> statement-breakpoint
ALTER TABLE `__new_triggers` RENAME TO `triggers`;
--> statement-breakpoint
CREATE UNIQUE INDEX `triggers_webhook_slug_unique` ON `triggers` (`webhook_slug`);
--> statement-breakpoint
CREATE UNIQUE INDEX `triggers_project_name` ON `triggers` (`project_id`,`name`);
--> statement-breakpoint
CREATE TABLE `__new_builds` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`files` blob NOT NULL,
	`exports` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
INSERT INTO `__new_builds`("id", "project_id", "files", "exports", "created_at") SELECT "id", "project_id", "files", "exports", "created_at" FROM `builds` WHERE `project_id` IN (SELECT `id` FROM `projects`);
--> statement-breakpoint
DROP TABLE `builds`;
--> statement-breakpoint
ALTER TABLE `__new_builds` RENAME TO `builds`;
--> statement-breakpoint
CREATE TABLE `__new_deployments` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`build_id` text NOT NULL,
	`state` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
INSERT INTO `__new_deployments`("id", "project_id", "build_id", "state", "created_at", "updated_at") SELECT "id", "project_id", "build_id", "state", "created_at", "updated_at" FROM `deployments` WHERE `project_id` IN (SELECT `id` FROM `projects`);
--> statement-breakpoint
DROP TABLE `deployments`;
--> statement-breakpoint
ALTER TABLE `__new_deployments` RENAME TO `deployments`;
--> statement-breakpoint
CREATE INDEX `deployments_project` ON `deployments` (`project_id`,`state`);
--> statement-breakpoint
CREATE TABLE `__new_store_values` (
	`project_id` text NOT NULL,
	`key` text NOT NULL,
	`value` text NOT NULL,
	`published` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`project_id`, `key`),
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
INSERT INTO `__new_store_values`("project_id", "key", "value", "published", "created_at", "updated_at") SELECT "project_id", "key", "value", "published", "created_at", "updated_at" FROM `store_values` WHERE `project_id` IN (SELECT `id` FROM `projects`);
--> statement-breakpoint
DROP TABLE `store_values`;
--> statement-breakpoint
ALTER TABLE `__new_store_values` RENAME TO `store_values`;
--> statement-breakpoint
CREATE TABLE `__new_sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`deployment_id` text,
	`build_id` text NOT NULL,
	`event_id` text,
	`trigger_id` text,
	`parent_id` text,
	`entrypoint` text NOT NULL,
	`inputs` text NOT NULL,
	`memo` text NOT NULL,
	`is_durable` integer NOT NULL,
	`state` text NOT NULL,
	`runs` integer DEFAULT 0 NOT NULL,
	`error` text,
	`hibernated` integer DEFAULT false NOT NULL,
	`wake_at` integer,
	`owner` text,
	`lease_until` integer,
	`stop_reason` text,
	`return_display` text,
	`return_value` blob,
	`created_at` integer NOT NULL,
	`started_at` integer,
	`ended_at` integer,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
INSERT INTO `__new_sessions`("id", "project_id", "deployment_id", "build_id", "event_id", "trigger_id", "parent_id", "entrypoint", "inputs", "memo", "is_durable", "state", "runs", "error", "hibernated", "wake_at", "owner", "lease_until", "stop_reason", "return_display", "return_value", "created_at", "started_at", "ended_at", "updated_at") SELECT "id", "project_id", "deployment_id", "build_id", "event_id", "trigger_id", "parent_id", "entrypoint", "inputs", "memo", "is_durable", "state", "runs", "error", "hibernated", "wake_at", "owner", "lease_until", "stop_reason", "return_display", "return_value", "created_at", "started_at", "ended_at", "updated_at" FROM `sessions` WHERE `project_id` IN (SELECT `id` FROM `projects`);
--> statement-breakpoint
DROP TABLE `sessions`;
--> statement-breakpoint
ALTER TABLE `__new_sessions` RENAME TO `sessions`;
--> statement-breakpoint
CREATE INDEX `sessions_project` ON `sessions` (`project_id`,`created_at`);
--> statement-breakpoint
CREATE INDEX `sessions_state` ON `sessions` (`state`,`hibernated`);
--> statement-breakpoint
CREATE INDEX `sessions_owner` ON `sessions` (`owner`,`state`);
--> statement-breakpoint
CREATE INDEX `sessions_wake` ON `sessions` (`hibernated`,`wake_at`);
--> statement-breakpoint
CREATE TABLE `__new_session_logs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`session_id` text NOT NULL,
	`seq` integer NOT NULL,
	`type` text NOT NULL,
	`data` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`session_id`) REFERENCES `sessions`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
INSERT INTO `__new_session_logs`("id", "session_id", "seq", "type", "data", "created_at") SELECT "id", "session_id", "seq", "type", "data", "created_at" FROM `session_logs` WHERE `session_id` IN (SELECT `id` FROM `sessions`);
--> statement-breakpoint
DROP TABLE `session_logs`;
--> statement-breakpoint
ALTER TABLE `__new_session_logs` RENAME TO `session_logs`;
--> statement-breakpoint
CREATE UNIQUE INDEX `session_logs_session_seq` ON `session_logs` (`session_id`,`seq`);
--> statement-breakpoint
CREATE TABLE `__new_session_steps` (
	`session_id` text NOT NULL,
	`seq` integer NOT NULL,
	`kind` text NOT NULL,
	`name` text NOT NULL,
	`args` text,
	`deadline` integer,
	`result` blob,
	`error` integer DEFAULT false NOT NULL,
	`display` text,
	`started_at` integer NOT NULL,
	`completed_at` integer,
	PRIMARY KEY(`session_id`, `seq`),
	FOREIGN KEY (`session_id`) REFERENCES `sessions`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
INSERT INTO `__new_session_steps`("session_id", "seq", "kind", "name", "args", "deadline", "result", "error", "display", "started_at", "completed_at") SELECT "session_id", "seq", "kind", "name", "args", "deadline", "result", "error", "display", "started_at", "completed_at" FROM `session_steps` WHERE `session_id` IN (SELECT `id` FROM `sessions`);
--> statement-breakpoint
DROP TABLE `session_steps`;
--> statement-breakpoint
ALTER TABLE `__new_session_steps` RENAME TO `session_steps`;
--> statement-breakpoint
CREATE TABLE `__new_signals` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`session_id` text NOT NULL,
	`name` text NOT NULL,
	`payload` text,
	`consumed` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`session_id`) REFERENCES `sessions`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
INSERT INTO `__new_signals`("seq", "session_id", "name", "payload", "consumed", "created_at") SELECT "seq", "session_id", "name", "payload", "consumed", "created_at" FROM `signals` WHERE `session_id` IN (SELECT `id` FROM `sessions`);
--> statement-breakpoint
DROP TABLE `signals`;
--> statement-breakpoint
ALTER TABLE `__new_signals` RENAME TO `signals`;
--> statement-breakpoint
CREATE INDEX `signals_session` ON `signals` (`session_id`,`consumed`);
--> statement-breakpoint
CREATE TABLE `__new_subscriptions` (
	`id` text PRIMARY KEY NOT NULL,
	`session_id` text NOT NULL,
	`destination_id` text NOT NULL,
	`filter` text DEFAULT '' NOT NULL,
	`cursor` integer NOT NULL,
	`created_at` integer NOT NULL,
	`guard_path` text,
	`guard_value` text,
	FOREIGN KEY (`session_id`) REFERENCES `sessions`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
INSERT INTO `__new_subscriptions`("id", "session_id", "destination_id", "filter", "cursor", "created_at", "guard_path", "guard_value") SELECT "id", "session_id", "destination_id", "filter", "cursor", "created_at", "guard_path", "guard_value" FROM `subscriptions` WHERE `session_id` IN (SELECT `id` FROM `sessions`);
--> statement-breakpoint
DROP TABLE `subscriptions`;
--> statement-breakpoint
ALTER TABLE `__new_subscriptions` RENAME TO `subscriptions`;
--> statement-breakpoint
CREATE INDEX `subscriptions_session` ON `subscriptions` (`session_id`);
--> statement-breakpoint
CREATE INDEX `subscriptions_destination` ON `subscriptions` (`destination_id`,`guard_path`,`guard_value`);
--> statement-breakpoint
DELETE FROM `sqlite_sequence` WHERE `name` IN (SELECT `name` FROM `__sequences_0002`);
--> statement-breakpoint
INSERT INTO `sqlite_sequence` (`name`, `seq`) SELECT `name`, `seq` FROM `__sequences_0002`;
--> statement-breakpoint
DROP TABLE `__sequences_0002`;
