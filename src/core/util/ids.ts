// Entity ids as AutoKitteh spells them: `<kind>_<26-char typeid of a UUIDv7>`.
import { fromUUIDBytes, TypeID } from "typeid-js";
import { v7 } from "uuid";

export type IdKind = "prj" | "con" | "trg" | "bld" | "dep" | "evt" | "ses" | "run";

// From the UUIDv7's bytes: `typeid(kind)` would decode what it has just encoded, to check
// it, and parse its own string back (half the cost of an id, made several times a session).
export function newId(kind: IdKind): string {
  return fromUUIDBytes(kind, v7(undefined, new Uint8Array(16)));
}

// A webhook slug has the shape of a typeid suffix but is fully random (122 bits), so it
// cannot be guessed from the time it was made.
export function newSlug(): string {
  return TypeID.fromUUID("x", crypto.randomUUID()).getSuffix();
}
