// Entity ids as AutoKitteh spells them: `<kind>_<26-char typeid of a UUIDv7>`.
import { TypeID, typeid } from "typeid-js";

export type IdKind = "prj" | "con" | "trg" | "bld" | "dep" | "evt" | "ses" | "run";

export function newId(kind: IdKind): string {
  return typeid(kind).toString();
}

// A webhook slug has the shape of a typeid suffix but is fully random (122 bits), so it
// cannot be guessed from the time it was made.
export function newSlug(): string {
  return TypeID.fromUUID("x", crypto.randomUUID()).getSuffix();
}
