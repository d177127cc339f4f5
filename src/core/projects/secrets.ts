// Secret var values, and what sessions of projects with secrets journal and store
// (at-rest.ts), are encrypted at rest with AES-256-GCM. The key comes from
// POUNCE_SECRET_KEY (64 hex chars or base64 of 32 bytes) or a 0600 file in the data dir,
// created at first start.
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { keepPrivate } from "../util/paths.ts";

const PREFIX = "enc:v1:";
// Sealed bytes start with these, which neither a pickle (0x80) nor JSON text starts with.
const MAGIC = Buffer.from([0x00, 0x70, 0x65, 0x01]);
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class SecretBox {
  constructor(private readonly key: Uint8Array) {
    if (key.length !== 32) throw new Error("secret key must be 32 bytes");
  }

  static load(dataDir: string, env = process.env): SecretBox {
    if (env.POUNCE_SECRET_KEY) return new SecretBox(decodeKey(env.POUNCE_SECRET_KEY));
    const file = join(dataDir, "secret.key");
    if (!existsSync(file)) {
      writeFileSync(file, randomBytes(32).toString("hex") + "\n", { mode: 0o600, flag: "wx" });
    }
    keepPrivate(file, 0o600);
    return new SecretBox(decodeKey(readFileSync(file, "utf8").trim()));
  }

  seal(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.key, iv);
    const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
    return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64");
  }

  open(sealed: string): string {
    if (!sealed.startsWith(PREFIX)) throw new Error("not a sealed secret");
    return this.decrypt(Buffer.from(sealed.slice(PREFIX.length), "base64")).toString("utf8");
  }

  // A text that may be sealed (written by seal) or not (written in clear): its plain text.
  openText(text: string): string {
    return text.startsWith(PREFIX) ? this.open(text) : text;
  }

  sealBytes(plain: Uint8Array): Buffer {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.key, iv);
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    return Buffer.concat([MAGIC, iv, cipher.getAuthTag(), body]);
  }

  // Bytes that may be sealed (by sealBytes) or not: their plain form.
  openBytes(bytes: Buffer): Buffer {
    if (bytes.length < MAGIC.length || !MAGIC.equals(bytes.subarray(0, MAGIC.length))) {
      return bytes;
    }
    return this.decrypt(bytes.subarray(MAGIC.length));
  }

  private decrypt(raw: Buffer): Buffer {
    const decipher = createDecipheriv("aes-256-gcm", this.key, raw.subarray(0, IV_BYTES));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
  }
}

function decodeKey(text: string): Uint8Array {
  const key = /^[0-9a-fA-F]{64}$/.test(text)
    ? Buffer.from(text, "hex")
    : Buffer.from(text, "base64");
  if (key.length !== 32) throw new Error("POUNCE_SECRET_KEY must be 32 bytes (64 hex characters)");
  return key;
}

export const MASK = "********";
