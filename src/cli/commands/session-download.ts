// `pounce session download-logs <session id | project> [-o FILE]`: a session's prints as
// AutoKitteh writes them, `[YYYY-MM-DD HH:MM:SS]:  text` (UTC), continuation lines indented.
import { writeFileSync } from "node:fs";
import { parse } from "../args.ts";
import { Client, CliError } from "../client.ts";
import { ref } from "../refs.ts";

export type PrintJson = { seq: number; text: string; t: string | null };

const INDENT = " ".repeat(24);

export function formatPrints(prints: PrintJson[]): string {
  return prints.map((p) => {
    const when = (p.t ?? "").replace("T", " ").slice(0, 19);
    return `[${when}]:  ${p.text.split("\n").join(`\n${INDENT}`)}\n`;
  }).join("");
}

export async function downloadLogs(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, { output: { type: "string", short: "o" } });
  const res = await new Client(values).get<{ session_id: string; prints: PrintJson[] }>(
    `/api/sessions/${ref(positionals)}/prints`,
  );
  const text = formatPrints(res.prints);
  if (!values.output || values.output === "-") {
    process.stdout.write(text);
    return;
  }
  try {
    writeFileSync(values.output, text);
  } catch (err) {
    throw new CliError(`cannot write ${values.output}: ${(err as Error).message}`);
  }
  console.error(`wrote ${res.prints.length} prints of ${res.session_id} to ${values.output}`);
}
