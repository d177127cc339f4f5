// Files the single binary carries besides its code (its main bundle, the asset trees of
// src/assets.ts, the offload worker's script, libSQL's addon), by key. In `dist/pounce` they
// follow the executable image (scripts/build/payload.ts appends them) and are read with
// read(2): a page of the executable's memory mapping stays resident once touched and counts
// in the daemon's RSS for good, which SEA assets (read through that mapping) did; a copy read
// from the file is the caller's, freed with it. The bundle for `deno compile` carries its few
// files inline (base64).
//
// The trailer: the files, then a JSON index {key: [offset, length]} (offsets from the start
// of the file), its byte length as a u32 LE, then MAGIC.
import { Buffer } from "node:buffer";
import { StringDecoder } from "node:string_decoder";
import { closeSync, fstatSync, openSync, readSync, writeFileSync, writeSync } from "node:fs";

export const PAYLOAD_MAGIC = "POUNCE-PAYLOAD-1";
export const PAYLOAD_TRAILER = 4 + PAYLOAD_MAGIC.length;

// The keys of the binary's main bundle and of its V8 code cache (scripts/build/loader.ts).
export const MAIN_CODE = "main.cjs";
export const MAIN_CACHE = "main.cjs.cache";

export type PayloadIndex = Record<string, [offset: number, length: number]>;

export interface Payload {
  read(key: string): Buffer | undefined;
  // A UTF-8 file as a string, decoded a chunk at a time: no buffer of the file's size (a
  // malloc'ed one would raise glibc's mmap threshold for good when freed).
  readText(key: string): string | undefined;
  // Writes the file `key` to `dest` (false when there is none), a chunk at a time.
  copy(key: string, dest: string, mode?: number): boolean;
}

// Below glibc's default mmap threshold (128 KiB): chunks come from and return to the heap.
const CHUNK = 64 << 10;

// The files appended to `file`; "/proc/self/exe" is the running binary, even when its path
// has since been replaced by a newer one.
export function filePayload(file: string): Payload {
  let index: PayloadIndex | undefined;
  const withFile = <T>(use: (fd: number, index: PayloadIndex) => T): T => {
    const fd = openSync(file, "r");
    try {
      return use(fd, index ??= readIndex(fd, file));
    } finally {
      closeSync(fd);
    }
  };
  return {
    read: (key) =>
      withFile((fd, index) => {
        const entry = index[key];
        if (!entry) return undefined;
        const buf = Buffer.allocUnsafe(entry[1]);
        readFully(fd, buf, entry[0]);
        return buf;
      }),
    readText: (key) =>
      withFile((fd, index) => {
        const entry = index[key];
        if (!entry) return undefined;
        const decoder = new StringDecoder("utf8");
        const buf = Buffer.allocUnsafe(Math.min(CHUNK, entry[1]));
        const parts: string[] = [];
        for (let done = 0; done < entry[1];) {
          const n = Math.min(buf.length, entry[1] - done);
          readFully(fd, buf.subarray(0, n), entry[0] + done);
          parts.push(decoder.write(buf.subarray(0, n)));
          done += n;
        }
        parts.push(decoder.end());
        return parts.join("");
      }),
    copy: (key, dest, mode = 0o644) =>
      withFile((fd, index) => {
        const entry = index[key];
        if (!entry) return false;
        const out = openSync(dest, "w", mode);
        try {
          const buf = Buffer.allocUnsafe(Math.min(CHUNK, entry[1]));
          for (let done = 0; done < entry[1];) {
            const n = Math.min(buf.length, entry[1] - done);
            readFully(fd, buf.subarray(0, n), entry[0] + done);
            writeSync(out, buf, 0, n);
            done += n;
          }
        } finally {
          closeSync(out);
        }
        return true;
      }),
  };
}

// Files held in memory as base64 (the bundle for `deno compile`).
export function inlinePayload(files: Record<string, string>): Payload {
  const read = (key: string) =>
    Object.hasOwn(files, key) ? Buffer.from(files[key], "base64") : undefined;
  return {
    read,
    readText: (key) => read(key)?.toString("utf8"),
    copy: (key, dest, mode = 0o644) => {
      const data = read(key);
      if (data) writeFileSync(dest, data, { mode });
      return data !== undefined;
    },
  };
}

function readIndex(fd: number, file: string): PayloadIndex {
  const size = fstatSync(fd).size;
  const trailer = Buffer.alloc(PAYLOAD_TRAILER);
  if (size < PAYLOAD_TRAILER) throw new Error(`${file} carries no payload`);
  readFully(fd, trailer, size - PAYLOAD_TRAILER);
  if (trailer.subarray(4).toString("latin1") !== PAYLOAD_MAGIC) {
    throw new Error(`${file} carries no payload`);
  }
  const length = trailer.readUInt32LE(0);
  const json = Buffer.alloc(length);
  readFully(fd, json, size - PAYLOAD_TRAILER - length);
  return JSON.parse(json.toString("utf8"));
}

function readFully(fd: number, buf: Uint8Array, position: number): void {
  for (let done = 0; done < buf.length;) {
    const n = readSync(fd, buf, done, buf.length - done, position + done);
    if (n === 0) throw new Error("payload: unexpected end of file");
    done += n;
  }
}
