// `pounce session test`: AutoKitteh's txtar session tests (spec §2.2). The pure parts:
// reading the case, normalizing prints and errors, comparing.
import { createTwoFilesPatch } from "diff";
import { parseTxtar } from "./txtar.ts";

export type SessionCase = {
  entrypoint: string;
  files: Record<string, string>;
  expectedPrints: string;
  expectedCalls?: string[];
  expectedError?: string;
};

const SPECIAL = new Set(["calls.txt", "error.txt", "error.durable.txt", "error.nondurable.txt"]);

export function readCase(text: string, durable: boolean): SessionCase {
  const archive = parseTxtar(text);
  if (!archive.files.length) {
    throw new Error("the archive has no files; the first file header names the entrypoint");
  }
  const first = archive.files[0].name;
  const m = first.match(/^(\S+\.py)(?::|\s+)(\w+)$/);
  if (!m) {
    throw new Error(`the first file header "${first}" must be an entrypoint like "main.py:main"`);
  }
  const files: Record<string, string> = { [m[1]]: archive.files[0].data };
  const byName = new Map(archive.files.slice(1).map((f) => [f.name, f.data]));
  for (const [name, data] of byName) if (!SPECIAL.has(name)) files[name] = data;
  const errorFile = byName.get(durable ? "error.durable.txt" : "error.nondurable.txt") ??
    byName.get("error.txt");
  const calls = byName.get("calls.txt");
  return {
    entrypoint: `${m[1]}:${m[2]}`,
    files,
    expectedPrints: archive.comment,
    expectedCalls: calls === undefined
      ? undefined
      : nonBlank(calls.split("\n").map((l) => l.replace(/#.*$/, "").trim())),
    expectedError: errorFile,
  };
}

function nonBlank(lines: string[]): string[] {
  return lines.filter((l) => l.trim() !== "");
}

// AutoKitteh's per-line normalization of prints and errors.
export function normalizeLine(line: string): string | undefined {
  if (/^\s*~*\^+$/.test(line)) return undefined;
  const lib = line.match(/^(\s*)File ".*\/lib\/python3\.\d+\/(.+\.py)", line \d+, in (.+)$/);
  if (lib) return `${lib[1]}py-lib/${lib[2]}, line XXX, in ${lib[3]}`;
  if (/runner.*\/.*\.py/.test(line) || /\/py-sdk\/pounce\//.test(line)) return "   ak-runner";
  // The build directory, as AutoKitteh removes its /tmp/ak-user-… directory: with the
  // separator after it ("from /…/bld_x - " reads "from - ").
  return line.replace(/\/\S*?\/(?:builds\/bld_\w+|ak-user-\w+)[/ ]/g, "");
}

export function normalize(text: string): string {
  return text.split("\n").map(normalizeLine).filter((l): l is string => l !== undefined).join("\n");
}

export type Verdict = { ok: boolean; report: string[] };

export function judge(
  c: SessionCase,
  durable: boolean,
  actual: { prints: string[]; state: string; error: string | null; calls: string[] },
): Verdict {
  const report: string[] = [];
  const gotPrints = actual.prints.map(normalize).join("\n").trim();
  const wantPrints = c.expectedPrints.trim();
  if (gotPrints !== wantPrints) {
    report.push(
      "prints differ:",
      createTwoFilesPatch("expected", "actual", wantPrints + "\n", gotPrints + "\n"),
    );
  }
  if (c.expectedError !== undefined) {
    if (actual.state !== "error") {
      report.push(`expected an error, but the session ended ${actual.state}`);
    } else {
      const got = normalize(actual.error ?? "");
      let at = 0;
      for (const line of nonBlank(normalize(c.expectedError).split("\n")).map((l) => l.trim())) {
        const found = got.indexOf(line, at);
        if (found < 0) {
          report.push(`error: expected line not found (in order): ${line}`, "actual error:", got);
          break;
        }
        at = found + line.length;
      }
    }
  }
  if (durable && c.expectedCalls) {
    const want = c.expectedCalls.join("\n");
    const got = actual.calls.join("\n");
    if (want !== got) {
      report.push(
        "calls differ:",
        createTwoFilesPatch("expected", "actual", want + "\n", got + "\n"),
      );
    }
  }
  return { ok: report.length === 0, report };
}
