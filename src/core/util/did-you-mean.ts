// "Did you mean …?" for a mistyped command, subcommand or flag.
import { distance } from "fastest-levenshtein";

// The closest candidate, when it is close enough to be what was meant: at most a third
// of the word's letters differ (one or two typos in a short word).
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const limit = Math.max(1, Math.floor(word.length / 3));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = distance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return bestDistance <= limit ? best : undefined;
}

// `; did you mean "x"?`, or nothing.
export function suggestion(word: string, candidates: Iterable<string>): string {
  const match = closest(word, candidates);
  return match ? `; did you mean "${match}"?` : "";
}
