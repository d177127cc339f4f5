// Secret values out of what a session logs: its prints, call records and errors show
// `********` wherever a secret var's value was, in any of the forms code renders it in
// (renderings.ts): as is, as Python shows it (repr, ascii, bytes) and JSON-escaped.
// Values shorter than MIN_CHARS are left, or every "1" or "yes" would go.
import { renderings } from "./renderings.ts";
import { MASK } from "../projects/secrets.ts";

const MIN_CHARS = 6;

export class Redactor {
  // One pattern for every rendering of every secret, longest first, so that a secret
  // that contains another is masked whole; null without secrets.
  private readonly pattern: RegExp | null;

  constructor(values: Iterable<string>) {
    const forms = new Set<string>();
    for (const v of new Set(values)) {
      if (v.length < MIN_CHARS) continue;
      for (const form of renderings(v)) forms.add(form);
    }
    const sorted = [...forms].sort((a, b) => b.length - a.length);
    this.pattern = sorted.length ? new RegExp(sorted.map(escapeRegExp).join("|"), "g") : null;
  }

  // The Redactor for these values, built once while they stay the same array (env.ts
  // hands out the same cached array while the project's config is unchanged).
  static for(values: string[]): Redactor {
    let r = built.get(values);
    if (!r) built.set(values, r = new Redactor(values));
    return r;
  }

  get active(): boolean {
    return this.pattern !== null;
  }

  text(s: string): string {
    return this.pattern ? s.replace(this.pattern, MASK) : s;
  }

  // Every string in a JSON-like value.
  value<T>(v: T): T {
    if (!this.pattern) return v;
    if (typeof v === "string") return this.text(v) as T;
    if (Array.isArray(v)) return v.map((x) => this.value(x)) as T;
    if (v && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
      return Object.fromEntries(
        Object.entries(v).map(([k, x]) => [k, this.value(x)]),
      ) as T;
    }
    return v;
  }
}

const built = new WeakMap<string[], Redactor>();

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
