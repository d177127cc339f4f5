// `--help` on a script prints the script's own header comment (its usage) and exits,
// before anything runs: a benchmark asked for help must not start daemons or write files.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export function helpAndExitIfAsked(scriptUrl: string): void {
  if (!process.argv.slice(2).some((a) => a === "--help" || a === "-h")) return;
  const lines = readFileSync(fileURLToPath(scriptUrl), "utf8").split("\n");
  const header = lines.slice(0, lines.findIndex((l) => !l.startsWith("//")));
  console.log(header.map((l) => l.replace(/^\/\/ ?/, "")).join("\n"));
  process.exit(0);
}
