// `--help` and `-h` on every command and subcommand print usage and run nothing: no request
// reaches the daemon, no data dir is made, no daemon starts. The commands come from
// `pounce help` itself, so a new command is covered when it is listed there.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { pounceCommand, ROOT } from "../helpers/daemon.ts";

type Run = { code: number; stdout: string; stderr: string };

let requests = 0;
const server = createServer((_req, res) => {
  requests++;
  res.end("{}");
});
let home = "";
let url = "";

before(async () => {
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  home = join(mkdtempSync(join(tmpdir(), "pounce-help-")), "home");
});
after(() => {
  server.close();
  rmSync(join(home, ".."), { recursive: true, force: true });
});

function pounce(args: string[]): Promise<Run> {
  const [cmd, ...pre] = pounceCommand();
  return new Promise((resolve) => {
    execFile(cmd, [...pre, ...args], {
      cwd: ROOT,
      env: { ...process.env, POUNCE_HOME: home, POUNCE_URL: url, POUNCE_TOKEN: "t" },
      timeout: 60_000,
    }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

// Every `pounce …` path `pounce help` lists: each command, and each of its subcommands.
async function commandPaths(): Promise<string[][]> {
  const help = await pounce(["help"]);
  assert.equal(help.code, 0, help.stderr);
  const paths: string[][] = [];
  for (const line of help.stdout.split("\n")) {
    const m = /^ {2}([a-z-]+)(?: ([a-z-]+(?:\|[a-z-]+)*))?/.exec(line);
    if (!m) continue;
    paths.push([m[1]]);
    for (const sub of m[2]?.split("|") ?? []) paths.push([m[1], sub]);
  }
  return paths;
}

test("--help and -h on every command print its usage and run nothing", async () => {
  const paths = await commandPaths();
  assert.ok(paths.length > 40, `only ${paths.length} commands found in \`pounce help\``);
  for (const need of [["up"], ["deploy"], ["session", "start"], ["backup"], ["var", "delete"]]) {
    assert.ok(paths.some((p) => p.join(" ") === need.join(" ")), need.join(" "));
  }
  // `-h` is the same flag: checked on the commands, `--help` on everything.
  const cases = paths.flatMap((p) =>
    p.length === 1 ? [[...p, "--help"], [...p, "-h"]] : [[...p, "--help"]]
  );
  const failures: string[] = [];
  // A few at a time: each run starts a runtime.
  for (let i = 0; i < cases.length; i += 4) {
    await Promise.all(
      cases.slice(i, i + 4).map(async (args) => {
        const out = await pounce(args);
        const path = args.slice(0, -1).join(" ");
        if (out.code !== 0) failures.push(`${args.join(" ")}: exit ${out.code} ${out.stderr}`);
        else if (!out.stdout.startsWith(`usage: pounce ${path}`)) {
          failures.push(`${args.join(" ")}: ${out.stdout.split("\n")[0]}`);
        }
      }),
    );
  }
  assert.deepEqual(failures, []);
  assert.equal(requests, 0, "a --help reached the daemon");
  assert.ok(!existsSync(home), "a --help made the data dir");
});

test("a subcommand's --help lists its own flags; --version prints the version", async () => {
  const start = await pounce(["session", "start", "--help"]);
  assert.match(start.stdout, /--entrypoint VALUE/);
  assert.match(start.stdout, /-I, --input VALUE {2}\(repeatable\)/);
  const up = await pounce(["up", "-h"]);
  assert.match(up.stdout, /-p, --port VALUE {2}\(default 9980\)/);
  const version = await pounce(["--version"]);
  assert.equal(version.code, 0);
  assert.match(version.stdout, /^pounce \d+\.\d+\.\d+, commit /);
});

test("a mistyped command, subcommand or flag gets a suggestion; -J and JSON errors", async () => {
  const [command, sub, flag, json, jsonError] = await Promise.all([
    pounce(["sesion", "list"]),
    pounce(["session", "lst"]),
    pounce(["session", "list", "--projct", "x"]),
    pounce(["project", "list", "-J"]),
    pounce(["sesion", "--json"]),
  ]);
  assert.equal(command.code, 40);
  assert.match(command.stderr, /unknown command "sesion"; did you mean "session"\?/);
  assert.match(sub.stderr, /unknown subcommand "lst"; did you mean "list"\?/);
  assert.match(flag.stderr, /unknown option "--projct"; did you mean "--project"\?/);
  assert.equal(json.code, 0, json.stderr);
  assert.deepEqual(JSON.parse(json.stdout), {});
  assert.deepEqual(JSON.parse(jsonError.stderr), {
    error: 'unknown command "sesion"; did you mean "session"? (see `pounce help`)',
    exit_code: 40,
  });
});

test("completion scripts complete commands, subcommands and flags", async () => {
  const [bash, zsh, fish] = await Promise.all([
    pounce(["completion", "bash"]),
    pounce(["completion", "zsh"]),
    pounce(["completion", "fish"]),
  ]);
  assert.match(zsh.stdout, /^#compdef pounce\n/);
  assert.match(
    fish.stdout,
    /complete -c pounce -n '__fish_seen_subcommand_from session' -a '.*start/,
  );
  const complete = (words: string[]) =>
    new Promise<string>((resolve, reject) => {
      const script = `${bash.stdout}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); ` +
        `COMP_CWORD=${words.length - 1}; _pounce; echo "\${COMPREPLY[*]}"`;
      execFile("bash", ["-c", script], (err, out) => (err ? reject(err) : resolve(out.trim())));
    });
  assert.equal(await complete(["pounce", "ses"]), "session");
  assert.equal(await complete(["pounce", "session", "re"]), "restart retry");
  assert.equal(await complete(["pounce", "session", "res"]), "restart");
  assert.equal(await complete(["pounce", "event", "--js"]), "--json");
});
