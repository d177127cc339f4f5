// The forms a secret value takes once code renders it: as is, inside a Python repr (either
// quote style), ascii() or bytes repr of its UTF-8, and JSON-escaped (JavaScript's
// JSON.stringify, Python's json.dumps with and without ensure_ascii), and each of those
// rendered once more (a repr inside an error message that is itself repr'd or sent as
// JSON). Only the inside of the quotes: the secret is usually part of a longer string.

// Python's str.isprintable() is false for these categories (the space excepted).
const NOT_PRINTABLE = /^[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]$/u;

const SHORT_ESCAPES: Record<string, string> = { "\t": "\\t", "\n": "\\n", "\r": "\\r" };

function hex(n: number, width: number, upper = false): string {
  const h = n.toString(16).padStart(width, "0");
  return upper ? h.toUpperCase() : h;
}

// Python's escape of a code point that repr does not show as is.
function pyEscape(cp: number): string {
  if (cp <= 0xff) return `\\x${hex(cp, 2)}`;
  if (cp <= 0xffff) return `\\u${hex(cp, 4)}`;
  return `\\U${hex(cp, 8)}`;
}

// The inside of repr(s) (asciiOnly: of ascii(s)) when it is quoted with `quote`.
export function pyRepr(s: string, quote: "'" | '"', asciiOnly = false): string {
  let out = "";
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === quote || ch === "\\") out += "\\" + ch;
    else if (SHORT_ESCAPES[ch]) out += SHORT_ESCAPES[ch];
    else if (cp < 0x20 || cp === 0x7f) out += pyEscape(cp);
    else if (cp < 0x7f) out += ch;
    else if (asciiOnly || NOT_PRINTABLE.test(ch)) out += pyEscape(cp);
    else out += ch;
  }
  return out;
}

// The inside of repr(s.encode()) when it is quoted with `quote`.
export function pyBytesRepr(s: string, quote: "'" | '"'): string {
  let out = "";
  for (const byte of new TextEncoder().encode(s)) {
    const ch = String.fromCharCode(byte);
    if (ch === quote || ch === "\\") out += "\\" + ch;
    else if (SHORT_ESCAPES[ch]) out += SHORT_ESCAPES[ch];
    else if (byte < 0x20 || byte >= 0x7f) out += `\\x${hex(byte, 2)}`;
    else out += ch;
  }
  return out;
}

// The inside of a JSON string: as JSON.stringify writes it, or with every character
// outside printable ASCII as \uXXXX (Python's json.dumps default; upper: hex digits in
// upper case, as some encoders write them).
export function jsonEscape(s: string, asciiOnly = false, upper = false): string {
  const plain = JSON.stringify(s).slice(1, -1);
  if (!asciiOnly) return plain;
  return plain.replace(
    /[^\x20-\x7e]|\\u[0-9a-f]{4}/g,
    (m) =>
      m.length === 1
        ? `\\u${hex(m.charCodeAt(0), 4, upper)}`
        : `\\u${hex(parseInt(m.slice(2), 16), 4, upper)}`,
  );
}

// One level of rendering of `s`.
function once(s: string): string[] {
  return [
    pyRepr(s, "'"),
    pyRepr(s, '"'),
    pyRepr(s, "'", true),
    pyRepr(s, '"', true),
    pyBytesRepr(s, "'"),
    pyBytesRepr(s, '"'),
    jsonEscape(s),
    jsonEscape(s, true),
    jsonEscape(s, true, true),
  ];
}

// Every form of `secret` to mask: itself, its renderings, and theirs.
export function renderings(secret: string): Set<string> {
  const forms = new Set([secret]);
  for (const first of once(secret)) {
    forms.add(first);
    for (const second of once(first)) forms.add(second);
  }
  return forms;
}
