// Secret var values are encrypted at rest with AES-256-GCM. The key comes from
// POUNCE_SECRET_KEY (64 hex chars or base64 of 32 bytes) or a 0600 file in the data dir,
// created at first start.
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { keepPrivate } from "./paths.ts";

const PREFIX = "enc:v1:";

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
    const raw = Buffer.from(sealed.slice(PREFIX.length), "base64");
    const decipher = createDecipheriv("aes-256-gcm", this.key, raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8");
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
