// GET /api/backup: the database as one consistent SQLite file (see core/db/backup.ts).
import { Hono } from "hono";
import { backupStream } from "../../core/db/backup.ts";
import type { Engine } from "../engine.ts";
import { ApiError } from "./errors.ts";

export const SQLITE_TYPE = "application/vnd.sqlite3";

export function backupRoutes(engine: Engine): Hono {
  const api = new Hono();
  api.get("/backup", async () => {
    if (!engine.dbFile) {
      throw new ApiError(
        400,
        "the database is a server (libSQL or PostgreSQL), not a file: back it up with the " +
          "server's own tools (pg_dump for PostgreSQL)",
      );
    }
    const { size, stream } = await backupStream(engine.dbFile, engine.dataDir);
    return new Response(stream, {
      headers: { "content-type": SQLITE_TYPE, "content-length": String(size) },
    });
  });
  return api;
}
