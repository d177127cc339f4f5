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
  // Python's error-location markers ("^^^^", "~~~^^^", and "~^~" under a binary operator).
  if (/^\s*[~^]*\^[~^]*$/.test(line)) return undefined;
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

// What AutoKitteh's runtime adds that Pounce's does not have, as it appears in AutoKitteh's
// expected files (docs/cli.md "session test"): its gRPC transport prefix, its runner's own
// traceback frames (including the thread hand-off of its activities), and its help
// banners, which stand for the advice of the same kind in Pounce's own words.
const RPC_PREFIX = /rpc error: code = \w+ desc = /g;
const RUNNER_FRAME = /^\s*ak-runner$/;
const HANDOFF_FRAME =
  /^\s*py-lib\/concurrent\/futures\/_base\.py, line XXX, in (?:result|__get_result)$/;
const SOURCE_LINE = /^ {4,}\S/;
const FRAME_LINE = /^\s*(?:File "|py-lib\/|ak-runner$)/;
const TRACEBACK_HEADER = "Traceback (most recent call last):";
const RULE = /^={20,}$/;

// Each kind of advice: AutoKitteh's banner line, then Pounce's first line of the same advice.
export const ADVICE_KINDS: { kind: string; autokitteh: RegExp; pounce: RegExp }[] = [
  {
    kind: "add a package",
    autokitteh: /^The below error means you need to add a package to the Python environment\.$/,
    pounce: /^The Python module .* is not installed for this project/,
  },
  {
    kind: "use the @autokitteh.activity decorator",
    autokitteh: /^The below error means you need to use the @autokitteh\.activity decorator\.$/,
    pounce: /cannot be (?:pickled|restored from its pickle), so it cannot be journaled\.$/,
  },
];

function adviceKind(firstLine: string): string | undefined {
  const line = firstLine.trim();
  return ADVICE_KINDS.find((k) => k.autokitteh.test(line) || k.pounce.test(line))?.kind;
}

// A help block (a line of "=", its text, a line of "=") of a known kind becomes one line
// naming the kind, so AutoKitteh's banner and Pounce's advice compare equal. With `keep`,
// the block follows that line (an actual error, which expected lines are searched in).
function mapAdvice(lines: string[], keep: boolean): string[] {
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (RULE.test(lines[i])) {
      const end = lines.findIndex((l, j) => j > i + 1 && RULE.test(l));
      const kind = end > 0 ? adviceKind(lines[i + 1]) : undefined;
      if (kind) {
        out.push(`[advice: ${kind}]`, ...(keep ? lines.slice(i, end + 1) : []));
        i = end;
        continue;
      }
    }
    out.push(lines[i]);
  }
  return out;
}

// Runner frames (each with its source line) match none or any of the other side's, so both
// sides drop them; a traceback left without frames drops its header too, as Python prints
// none for an exception that has no frames.
function dropRunnerFrames(lines: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (RUNNER_FRAME.test(lines[i]) || HANDOFF_FRAME.test(lines[i])) {
      const next = lines[i + 1];
      if (next !== undefined && SOURCE_LINE.test(next) && !FRAME_LINE.test(next)) i++;
      continue;
    }
    out.push(lines[i]);
  }
  return out.filter((l, i) => l !== TRACEBACK_HEADER || FRAME_LINE.test(out[i + 1] ?? ""));
}

// Prints or error text as compared: normalized, then without AutoKitteh's runtime-specific
// text. `keepAdvice` keeps the text of help blocks after the line naming their kind.
export function comparable(text: string, keepAdvice = false): string {
  const lines = normalize(text).split("\n").map((l) => l.replace(RPC_PREFIX, ""));
  return dropRunnerFrames(mapAdvice(lines, keepAdvice)).join("\n");
}

export type Verdict = { ok: boolean; report: string[] };

export function judge(
  c: SessionCase,
  durable: boolean,
  actual: { prints: string[]; state: string; error: string | null; calls: string[] },
): Verdict {
  const report: string[] = [];
  const gotPrints = comparable(actual.prints.join("\n")).trim();
  const wantPrints = comparable(c.expectedPrints).trim();
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
      const got = comparable(actual.error ?? "", true);
      let at = 0;
      for (const line of nonBlank(comparable(c.expectedError).split("\n")).map((l) => l.trim())) {
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
