// A consistent copy of a libSQL file database while the daemon runs: SQLite's
// `VACUUM INTO` on a connection of its own reads one snapshot (WAL included) and writes a
// single, compacted database file. Writers go on meanwhile (WAL readers do not block
// them); the daemon's event loop waits for the copy, since libSQL's calls are synchronous.
import { randomUUID } from "node:crypto";
import { open, unlink } from "node:fs/promises";
import { join } from "node:path";
import Database from "libsql";

const CHUNK = 256 * 1024;

// The copy, as a stream of bytes. It is made in `workDir` and unlinked at once: the open
// file is all that is left of it, and it goes when the stream ends or is cancelled.
export async function backupStream(
  dbFile: string,
  workDir: string,
): Promise<{ size: number; stream: ReadableStream<Uint8Array> }> {
  const tmp = join(workDir, `backup-${randomUUID()}.db`);
  const db = new Database(dbFile, { timeout: 5000 } as never);
  try {
    db.prepare("VACUUM INTO ?").run([tmp]);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  } finally {
    db.close();
  }
  const file = await open(tmp, "r");
  await unlink(tmp);
  const { size } = await file.stat();
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await file.close();
  };
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const buf = new Uint8Array(CHUNK);
      const { bytesRead } = await file.read(buf, 0, CHUNK, null);
      if (bytesRead === 0) {
        await close();
        controller.close();
      } else {
        controller.enqueue(buf.subarray(0, bytesRead));
      }
    },
    cancel: close,
  });
  return { size, stream };
}
