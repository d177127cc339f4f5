// Frames of the daemon ↔ runner protocol (docs/protocol.md): two big-endian uint32
// lengths, a JSON header and a raw blob.
// The frames' shapes are in src/protocol (generated from frames.json); this module only
// packs and unpacks them.
export const MAX_FRAME_BYTES = 16 << 20;

// Any frame's header: a JSON object with a string `t` (the type).
export type Header = { t: string };
export type Frame<H extends Header = Header> = { header: H; blob?: Uint8Array };

// `blob` may come in parts, written one after the other (a journal frame's pickles).
export function encodeFrame<H extends Header>(header: H, blob?: Uint8Array | Uint8Array[]): Buffer {
  const head = Buffer.from(JSON.stringify(header), "utf8");
  const parts = blob === undefined ? [] : Array.isArray(blob) ? blob : [blob];
  let blobLength = 0;
  for (const part of parts) blobLength += part.length;
  const out = Buffer.allocUnsafe(8 + head.length + blobLength);
  out.writeUInt32BE(head.length, 0);
  out.writeUInt32BE(blobLength, 4);
  head.copy(out, 8);
  let at = 8 + head.length;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

// Collects bytes from a stream and yields whole frames.
export class FrameDecoder {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const frames: Frame[] = [];
    while (this.buf.length >= 8) {
      const headLen = this.buf.readUInt32BE(0);
      const blobLen = this.buf.readUInt32BE(4);
      if (headLen + blobLen > MAX_FRAME_BYTES) throw new Error("frame too large");
      const total = 8 + headLen + blobLen;
      if (this.buf.length < total) break;
      const header = JSON.parse(this.buf.toString("utf8", 8, 8 + headLen)) as Header;
      const blob = blobLen ? Buffer.from(this.buf.subarray(8 + headLen, total)) : undefined;
      frames.push({ header, blob });
      this.buf = this.buf.subarray(total);
    }
    return frames;
  }
}
