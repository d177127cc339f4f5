// What the single binary carries besides the code. From source all are empty:
// scripts/build.ts replaces this module with a generated one when it builds `dist/pounce`.
import type { Payload } from "./payload.ts";

export type BuildInfo = {
  version: string;
  commit: string;
  // Native addons carried in the payload: key -> content hash.
  addons: Record<string, string>;
};

// An asset tree (see src/assets.ts): a content hash and its files' paths; the payload holds
// each file under "<tree name>/<path>".
export type EmbeddedTree = { hash: string; files: string[] };

export const build: BuildInfo | undefined = undefined;

export const trees: Record<string, EmbeddedTree> = {};

// The files the build carries (src/payload.ts).
export const payload: Payload | undefined = undefined;

// Reads the worker thread of src/core/util/offload.ts, one self-contained CommonJS script
// (the binary has no files to start a worker from; it carries the script in its payload,
// read when a worker starts rather than held in memory), or undefined.
export const offloadWorkerCode: (() => string) | undefined = undefined;
