// `pounce venv list` and `pounce venv prune [--dry-run]`: the per-requirements venvs.
import type { VenvJson } from "../../pythonrt/environment.ts";
import { parse } from "../args.ts";
import { Client, CliError, EXIT } from "../client.ts";
import { print } from "../output.ts";
import { venvLine } from "./doctor.ts";

const USAGE = "usage: pounce venv list | pounce venv prune [--dry-run]";

export async function venvCommand(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv;
  if (sub === "list") {
    const { values } = parse(rest, {});
    const res = await new Client(values).get<{ venvs: VenvJson[] }>("/api/venvs");
    print(values, res, () => res.venvs.map(venvLine).join("\n"));
    return;
  }
  if (sub === "prune") {
    const { values } = parse(rest, { "dry-run": { type: "boolean" } });
    const dryRun = !!values["dry-run"];
    const res = await new Client(values).call<{ removed: string[] }>(
      "POST",
      `/api/venvs/prune${dryRun ? "?dry_run=1" : ""}`,
    );
    print(
      values,
      res,
      () =>
        res.removed.length
          ? res.removed.map((k) => `${dryRun ? "would remove" : "removed"} ${k}`).join("\n")
          : "no unused venvs",
    );
    return;
  }
  throw new CliError(USAGE, EXIT.badRequest);
}
