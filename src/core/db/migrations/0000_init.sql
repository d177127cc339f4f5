CREATE TABLE `builds` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`files` blob NOT NULL,
	`exports` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `connections` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`name` text NOT NULL,
	`integration` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `connections_project_name` ON `connections` (`project_id`,`name`);--> statement-breakpoint
CREATE TABLE `deployments` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`build_id` text NOT NULL,
	`state` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `deployments_project` ON `deployments` (`project_id`,`state`);--> statement-breakpoint
CREATE TABLE `events` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`id` text NOT NULL,
	`project_id` text,
	`destination_id` text NOT NULL,
	`event_type` text NOT NULL,
	`data` text NOT NULL,
	`memo` text NOT NULL,
	`dispatched` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `events_id_unique` ON `events` (`id`);--> statement-breakpoint
CREATE INDEX `events_destination` ON `events` (`destination_id`,`seq`);--> statement-breakpoint
CREATE TABLE `projects` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`display_name` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `projects_name_unique` ON `projects` (`name`);--> statement-breakpoint
CREATE TABLE `seen_requests` (
	`key` text PRIMARY KEY NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `seen_requests_expiry` ON `seen_requests` (`expires_at`);--> statement-breakpoint
CREATE TABLE `session_logs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`session_id` text NOT NULL,
	`seq` integer NOT NULL,
	`type` text NOT NULL,
	`data` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `session_logs_session_seq` ON `session_logs` (`session_id`,`seq`);--> statement-breakpoint
CREATE TABLE `session_steps` (
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
	PRIMARY KEY(`session_id`, `seq`)
);
--> statement-breakpoint
CREATE TABLE `sessions` (
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
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `sessions_project` ON `sessions` (`project_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `sessions_state` ON `sessions` (`state`,`hibernated`);--> statement-breakpoint
CREATE INDEX `sessions_owner` ON `sessions` (`owner`,`state`);--> statement-breakpoint
CREATE INDEX `sessions_wake` ON `sessions` (`hibernated`,`wake_at`);--> statement-breakpoint
CREATE TABLE `signals` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`session_id` text NOT NULL,
	`name` text NOT NULL,
	`payload` text,
	`consumed` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `signals_session` ON `signals` (`session_id`,`consumed`);--> statement-breakpoint
CREATE TABLE `store_values` (
	`project_id` text NOT NULL,
	`key` text NOT NULL,
	`value` text NOT NULL,
	`published` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`project_id`, `key`)
);
--> statement-breakpoint
CREATE TABLE `subscriptions` (
	`id` text PRIMARY KEY NOT NULL,
	`session_id` text NOT NULL,
	`destination_id` text NOT NULL,
	`filter` text DEFAULT '' NOT NULL,
	`cursor` integer NOT NULL,
	`created_at` integer NOT NULL,
	`guard_path` text,
	`guard_value` text
);
--> statement-breakpoint
CREATE INDEX `subscriptions_session` ON `subscriptions` (`session_id`);--> statement-breakpoint
CREATE INDEX `subscriptions_destination` ON `subscriptions` (`destination_id`,`guard_path`,`guard_value`);--> statement-breakpoint
CREATE TABLE `triggers` (
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
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `triggers_webhook_slug_unique` ON `triggers` (`webhook_slug`);--> statement-breakpoint
CREATE UNIQUE INDEX `triggers_project_name` ON `triggers` (`project_id`,`name`);--> statement-breakpoint
CREATE TABLE `vars` (
	`scope_id` text NOT NULL,
	`name` text NOT NULL,
	`value` text NOT NULL,
	`is_secret` integer DEFAULT false NOT NULL,
	`description` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`scope_id`, `name`)
);
