// What a session journals and stores may hold its project's secrets (an activity's
// arguments and result, a store value, a signal's payload): for a project that has any
// secret var (its own or a connection's), those columns are sealed with the secrets key
// (secrets.ts); other projects' rows stay in clear, and their durable steps pay nothing.
// Readers open both kinds (SecretBox.openText / openBytes), so rows written before a
// project had secrets, or before this existed, stay readable.
import type { SecretBox } from "./secrets.ts";

export type Sealer = {
  text(plain: string): string;
  bytes(plain: Uint8Array): Uint8Array;
};

export const CLEAR: Sealer = { text: (plain) => plain, bytes: (plain) => plain };

// The sealer for a session whose project has these secret values.
export function sealerFor(box: SecretBox, secrets: readonly string[]): Sealer {
  if (!secrets.length) return CLEAR;
  return { text: (plain) => box.seal(plain), bytes: (plain) => box.sealBytes(plain) };
}
