// Manifests from clients are parsed in a worker thread (offload.ts): YAML parsing takes
// up to seconds for a big manifest, too long to hold the event loop.
import type { Manifest } from "./manifest.ts";
import { ManifestError } from "./manifest-error.ts";
import { Offload, OffloadError } from "../util/offload.ts";

export const MANIFEST_PARSE_MS = 10_000;

const worker = new Offload("manifest", MANIFEST_PARSE_MS, 8);

// As parseManifest; throws ManifestError for a bad manifest, or one that takes too long.
export async function parseManifestOffLoop(text: string): Promise<Manifest> {
  let outcome;
  try {
    outcome = await worker.run(text);
  } catch (err) {
    if (err instanceof OffloadError && err.overBudget) {
      throw new ManifestError(`manifest: parsing ${err.message}`);
    }
    throw err;
  }
  if ("error" in outcome) throw new ManifestError(outcome.error);
  return outcome.manifest;
}
