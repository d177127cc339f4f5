// Secret values out of what a session logs: its prints, call records and errors show
// `********` where a secret var's value was (values shorter than MIN_CHARS are left, or
// every "1" or "yes" would go).
import { MASK } from "./secrets.ts";

const MIN_CHARS = 6;

export class Redactor {
  private readonly secrets: string[];

  constructor(values: Iterable<string>) {
    // Longest first, so a secret that contains another is masked whole.
    this.secrets = [...new Set(values)].filter((v) => v.length >= MIN_CHARS)
      .sort((a, b) => b.length - a.length);
  }

  text(s: string): string {
    for (const secret of this.secrets) if (s.includes(secret)) s = s.split(secret).join(MASK);
    return s;
  }

  // Every string in a JSON-like value.
  value<T>(v: T): T {
    if (!this.secrets.length) return v;
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
