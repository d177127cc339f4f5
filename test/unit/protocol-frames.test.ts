// The runner protocol's frames are described once (src/protocol/frames.json); both
// languages' definitions are generated from it and must not drift.
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { PY_PATH, readSchema, renderPy, renderTs, TS_PATH } from "../../scripts/gen-protocol.ts";
import { ROOT } from "../helpers/daemon.ts";

test("the generated frame definitions are up to date (npm run gen:protocol)", () => {
  const schema = readSchema();
  assert.equal(readFileSync(TS_PATH, "utf8"), renderTs(schema), "src/protocol/frames.gen.ts");
  assert.equal(readFileSync(PY_PATH, "utf8"), renderPy(schema), "py-sdk/pounce/runner/frames.py");
});

test("Python's frame definitions name the same frames and fields as the schema", () => {
  const script = `
import json, typing
from pounce.runner import frames
out = {}
for group in ("RunnerFrame", "DaemonFrame", "ForkServerFrame", "ForkServerCommand"):
    out[group] = {}
    for cls in typing.get_args(getattr(frames, group)):
        t = typing.get_args(cls.__annotations__["t"])[0]
        fields = {}
        for name, hint in cls.__annotations__.items():
            if name != "t":
                fields[name + ("" if name in cls.__required_keys__ else "?")] = True
        out[group][t] = sorted(fields)
print(json.dumps({"version": frames.PROTOCOL_VERSION, "groups": out}))
`;
  const python = `${ROOT}/.venv/bin/python`;
  const seen = JSON.parse(
    execFileSync(python, ["-c", script], { cwd: `${ROOT}/py-sdk`, encoding: "utf8" }),
  );
  const schema = readSchema();
  const want: Record<string, Record<string, string[]>> = {};
  for (const [group, { frames }] of Object.entries(schema.groups)) {
    want[group] = Object.fromEntries(
      Object.entries(frames).map(([t, fields]) => [t, Object.keys(fields).sort()]),
    );
  }
  assert.deepEqual(seen, { version: schema.version, groups: want });
});
