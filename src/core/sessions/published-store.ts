// Store values a project published: readable without a token at /store/<project>/<key>.
import { and, eq } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { storeValues } from "../db/schema.ts";
import type { SecretBox } from "../projects/secrets.ts";

// The value under `key` if the project published it, else undefined.
export async function publishedValue(
  db: Db,
  box: SecretBox,
  projectId: string,
  key: string,
): Promise<{ value: unknown } | undefined> {
  const row = await db.query.storeValues.findFirst({
    where: and(eq(storeValues.projectId, projectId), eq(storeValues.key, key)),
  });
  return row?.published ? { value: JSON.parse(box.openText(row.value)) } : undefined;
}
