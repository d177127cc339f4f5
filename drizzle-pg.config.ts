// The PostgreSQL migrations, from the same schema (src/core/db/schema-pg.ts derives it).
import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "postgresql",
  schema: "./src/core/db/schema-pg.ts",
  out: "./src/core/db/migrations-pg",
});
