/**
 * BuildKit's `suggest.Search`: the option closest to `value` by edit distance, when it is
 * fewer than 3 edits away and not `value` itself. Options are tried in sorted order so ties
 * resolve the same way every run (Go iterates a map).
 */
export function suggestName(value: string, options: Iterable<string>): string | undefined {
  let match: string | undefined;
  let best = 3;
  for (const option of [...new Set(options)].sort()) {
    if (option === value) return undefined;
    const distance = editDistance(value, option);
    if (distance < best) {
      best = distance;
      match = option;
    }
  }
  return match;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** Go's `%q` for the names BuildKit quotes in its messages. */
export function goQuote(text: string): string {
  return JSON.stringify(text);
}
