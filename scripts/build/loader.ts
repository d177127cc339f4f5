// The single binary's SEA `main`: runs the daemon's bundle, read from the binary's payload
// (src/payload.ts) with the V8 code cache the build made for it. Node copies a `main` kept
// in the SEA blob into the heap and leaves the blob's pages it read resident as well (3.4
// MB of the bundle and 0.8 MB of its code cache counted twice in the daemon's memory).
import { compileFunction } from "node:vm";
import { filePayload, MAIN_CACHE, MAIN_CODE } from "../../src/payload.ts";
import { MAIN_PARAMS } from "./main-wrapper.ts";

declare const module: { exports: unknown };
declare const require: (id: string) => unknown;
declare const __filename: string;
declare const __dirname: string;

const payload = filePayload("/proc/self/exe");
const code = payload.readText(MAIN_CODE);
if (code === undefined) throw new Error(`${process.execPath}: the main bundle is missing`);
const main = compileFunction(code, MAIN_PARAMS, {
  filename: process.execPath,
  cachedData: payload.read(MAIN_CACHE),
});
main(module.exports, require, module, __filename, __dirname);
