// Appends the files the binary carries (src/payload.ts reads them) after its executable
// image: the kernel maps only the image's segments, so they cost no memory until read.
import { Buffer } from "node:buffer";
import { appendFileSync, readFileSync, statSync } from "node:fs";
import { PAYLOAD_MAGIC, type PayloadIndex } from "../../src/payload.ts";

// `files`: key -> the file to carry, or its contents.
export function appendPayload(out: string, files: Record<string, string | Uint8Array>): void {
  let offset = statSync(out).size;
  const index: PayloadIndex = {};
  for (const [key, file] of Object.entries(files)) {
    const data = typeof file === "string" ? readFileSync(file) : file;
    appendFileSync(out, data);
    index[key] = [offset, data.length];
    offset += data.length;
  }
  const json = Buffer.from(JSON.stringify(index));
  const length = Buffer.alloc(4);
  length.writeUInt32LE(json.length);
  appendFileSync(out, Buffer.concat([json, length, Buffer.from(PAYLOAD_MAGIC, "latin1")]));
}
