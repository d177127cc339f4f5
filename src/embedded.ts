// What the single binary carries besides the code. From source both are empty:
// scripts/build.ts replaces this module with a generated one when it builds `dist/pounce`.

export type BuildInfo = {
  version: string;
  commit: string;
  // Native addons shipped as SEA assets: asset name -> content hash.
  addons: Record<string, string>;
};

// An asset tree (see src/assets.ts): a content hash and its files, path -> base64.
export type EmbeddedTree = { hash: string; files: Record<string, string> };

export const build: BuildInfo | undefined = undefined;

export const trees: Record<string, EmbeddedTree> = {};

// Reads the worker thread of src/core/util/offload.ts, one self-contained CommonJS script
// (the binary has no files to start a worker from; it carries the script as a SEA asset,
// read when a worker starts rather than held in memory), or undefined.
export const offloadWorkerCode: (() => string) | undefined = undefined;
