// Core raises "config changed" after each committed change to what deployments run with,
// and only then: reads raise nothing, and a failing listener does not fail the change.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { encodeFiles } from "../../src/core/projects/builds.ts";
import { type ConfigChange, configChanged } from "../../src/core/projects/config-changed.ts";
import { openDb } from "../../src/core/db/client.ts";
import { deploy } from "../../src/core/projects/deploy.ts";
import {
  activateDeployment,
  deactivate,
  deleteDeployment,
  listDeployments,
} from "../../src/core/projects/deployments.ts";
import { parseManifest } from "../../src/core/projects/manifest.ts";
import { deleteProject, projectByRef } from "../../src/core/projects/projects.ts";
import { SecretBox } from "../../src/core/projects/secrets.ts";
import { deleteVar, setVar, varsOf } from "../../src/core/projects/vars.ts";

test("core signals each config change once it is committed", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "pounce-cfg-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const db = await openDb({ url: `file:${join(dir, "t.db")}`, durability: "process" });
  t.after(() => db.$client.close());
  const box = SecretBox.load(dir);
  const seen: ConfigChange[] = [];
  configChanged(db).subscribe((change) => seen.push(change));
  // A listener that throws is logged; the change it was told about still stands.
  configChanged(db).subscribe(() => {
    throw new Error("listener failed");
  });

  const manifest = parseManifest("version: v1\nproject:\n  name: cfg\n");
  const first = await deploy(db, box, { manifest, files: encodeFiles({}), exports: {} });
  const second = await deploy(db, box, { manifest, files: encodeFiles({}), exports: {} });
  assert.deepEqual(seen, ["deploy", "deploy"]);

  const project = (await projectByRef(db, "cfg"))!;
  await setVar(db, box, project.id, { name: "COLOR", value: "red", secret: true });
  assert.equal(await deleteVar(db, project.id, "COLOR"), true);
  assert.equal(await deleteVar(db, project.id, "COLOR"), false);
  await activateDeployment(db, project.id, first.deploymentId);
  await deactivate(db, first.deploymentId);
  assert.equal(await deleteDeployment(db, second.deploymentId), true);
  assert.deepEqual(seen.splice(2), ["vars", "vars", "activate", "deactivate", "delete_deployment"]);

  // Reads change nothing.
  await listDeployments(db, project.id);
  await varsOf(db, project.id);
  assert.deepEqual(seen.splice(2), []);

  await deleteProject(db, project);
  assert.deepEqual(seen.splice(2), ["delete_project"]);
});
