-- Custom SQL migration file, put your code below! --
-- A commit that changed config tables notifies `pounce_config` (src/core/db/pg-notify.ts):
-- every node drops the config it keeps in memory.
CREATE FUNCTION pounce_config_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('pounce_config', '');
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER projects_config_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON projects
  FOR EACH STATEMENT EXECUTE FUNCTION pounce_config_changed();
--> statement-breakpoint
CREATE TRIGGER vars_config_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON vars
  FOR EACH STATEMENT EXECUTE FUNCTION pounce_config_changed();
--> statement-breakpoint
CREATE TRIGGER connections_config_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON connections
  FOR EACH STATEMENT EXECUTE FUNCTION pounce_config_changed();
--> statement-breakpoint
CREATE TRIGGER triggers_config_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON triggers
  FOR EACH STATEMENT EXECUTE FUNCTION pounce_config_changed();
--> statement-breakpoint
CREATE TRIGGER deployments_config_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON deployments
  FOR EACH STATEMENT EXECUTE FUNCTION pounce_config_changed();
--> statement-breakpoint
CREATE TRIGGER builds_config_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON builds
  FOR EACH STATEMENT EXECUTE FUNCTION pounce_config_changed();
