// Writes files into a directory exactly once: into a temporary sibling first, then renamed
// into place, so a crash or a second process starting at the same time never leaves a
// half-written directory behind. An existing directory is taken as it is.
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { basename, dirname, join } from "node:path";

export function writeOnce(dir: string, write: (tmp: string) => void): string {
  if (existsSync(dir)) return dir;
  mkdirSync(dirname(dir), { recursive: true, mode: 0o700 });
  const tmp = mkdtempSync(join(dirname(dir), `.${basename(dir)}.tmp-`));
  try {
    write(tmp);
    renameSync(tmp, dir);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    // Another process won the race: its copy is as good as ours.
    if (!existsSync(dir)) throw err;
  }
  return dir;
}
