// Text taken from a program (a logical name, a file's content) shown to a person: every control
// character, bidi control and line break is written out visibly, so a terminal shows it and never
// obeys it. The pack's messages and the tools' reports share these rules.

/**
 * C0 controls (CR, LF, ESC, BEL, ...), DEL, C1 controls (CSI, OSC, NEL, ...), the bidirectional
 * marks, embeddings, overrides and isolates, the Unicode line and paragraph separators, and UTF-16
 * halves that are not part of a pair (they cannot be written as UTF-8).
 */
export const UNSAFE_CHARACTERS =
  /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
/** The same, less what JSON.stringify escapes already (C0 and unpaired halves). */
export const UNSAFE_IN_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;

const SHORT: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/** One unsafe character as its escape: `\n`, `\u001b`. */
export function escapeCharacter(c: string): string {
  return SHORT[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
}

/** The text in double quotes, as JSON writes a string, with every unsafe character escaped. */
export function quoted(text: string): string {
  return JSON.stringify(text).replace(UNSAFE_IN_JSON, escapeCharacter);
}

/** "a, b and c", or "a, b, c and 4 more" past `most` items. */
export function listOf(items: readonly string[], most = items.length): string {
  const shown = items.slice(0, most);
  const rest = items.length - shown.length;
  if (rest > 0) return `${shown.join(", ")} and ${rest} more`;
  if (shown.length <= 1) return shown.join("");
  return `${shown.slice(0, -1).join(", ")} and ${shown[shown.length - 1]}`;
}

/** File content or an answer for an error message: escaped, quoted, and at most `max` characters of it. */
export function quoteExcerpt(text: string, max = 40): string {
  const chars = Array.from(text);
  const shown = chars.slice(0, max).join("");
  return `"${shown.replace(UNSAFE_CHARACTERS, escapeCharacter)}"${chars.length > max ? "..." : ""}`;
}

/** The first line of an error's message, for one-line reports. */
export function firstLine(message: string): string {
  const line = message.split(/\r?\n/).find((l) => l.trim() !== "");
  return (line ?? message).trim();
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) {
    return err.message;
  }
  return String(err);
}
