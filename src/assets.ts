// Files that travel inside the single binary (the py-sdk; the web UI can join). Each tree is
// a folder of the source tree: scripts/build.ts embeds the files its `include` selects, and
// from source they are read in place. To add a tree, add an entry to ASSET_TREES.
import { mkdirSync, readFileSync } from "node:fs";
import { dirname, join, posix } from "node:path";
import { payload, trees } from "./embedded.ts";
import { writeOnce } from "./extract.ts";
import { sourceRoot } from "./runtime.ts";
import { VERSION } from "./version.ts";

export type AssetTreeSpec = {
  // The folder, relative to the repository root.
  dir: string;
  // Which files belong to the tree: `path` is relative to `dir`, with "/" separators.
  include: (path: string) => boolean;
};

export const ASSET_TREES = {
  "py-sdk": {
    dir: "py-sdk",
    include: (path) =>
      /^(pounce|autokitteh)\//.test(path) && !/(^|\/)__pycache__\/|\.pyc$/.test(path),
  },
  // The web UI, served at / by src/server/ui.ts.
  "web-ui": {
    dir: "src/server/ui",
    include: (path) => /^[\w-]+\.(html|js|css|svg)$/.test(path),
  },
} satisfies Record<string, AssetTreeSpec>;

export type AssetTreeName = keyof typeof ASSET_TREES;

// One file of a tree (e.g. a web UI page), or undefined when the tree has no such file.
export function assetFile(name: AssetTreeName, path: string): Uint8Array | undefined {
  const clean = posix.normalize(path).replace(/^\/+/, "");
  if (clean.startsWith("..")) return undefined;
  const tree = trees[name];
  if (tree) return tree.files.includes(clean) ? payload!.read(`${name}/${clean}`) : undefined;
  const spec: AssetTreeSpec = ASSET_TREES[name];
  if (!spec.include(clean)) return undefined;
  try {
    return readFileSync(join(sourceRoot()!, spec.dir, clean));
  } catch {
    return undefined;
  }
}

// A real directory holding the tree, for readers that need files on disk (Python imports
// the py-sdk). From source it is the source folder; in the binary the files are written
// once to <data dir>/<name>/<version>-<hash>/ and reused by every later start.
export function assetDir(name: AssetTreeName, dataDir: string): string {
  const tree = trees[name];
  if (!tree) return join(sourceRoot()!, ASSET_TREES[name].dir);
  return writeOnce(join(dataDir, name, `${VERSION}-${tree.hash}`), (tmp) => {
    for (const path of tree.files) {
      mkdirSync(dirname(join(tmp, path)), { recursive: true });
      if (!payload!.copy(`${name}/${path}`, join(tmp, path))) {
        throw new Error(`${name}/${path} is missing from this build`);
      }
    }
  });
}
