// Output a user can trust: text from a program, a config file or a stack export is shown, never
// interpreted by the terminal, and secrets are shown the way the engine's own JSON output shows
// them ("[secret]"), never their value. Every report writer (text, JSON, and any other) goes through
// these helpers.

import { SECRET_SIG, SIG_KEY } from "../analyzer/types";
import { isObject } from "./resources";

/** What a secret becomes in output, as in `pulumi preview --json` and `pulumi stack export`. */
export const REDACTED = "[secret]";

// C0 controls (CR, LF, ESC, BEL, ...), DEL, C1 controls (CSI, OSC, NEL, ...), the bidirectional
// marks, embeddings, overrides and isolates, the Unicode line and paragraph separators, and UTF-16
// halves that are not part of a pair (they cannot be written as UTF-8).
const UNSAFE =
  /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
// The same, less what JSON.stringify escapes already (C0 and unpaired halves).
const UNSAFE_IN_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;

const SHORT: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

function escapeChar(c: string): string {
  return SHORT[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
}

/**
 * The text with every control character, bidi control and line break written out visibly (`\n`,
 * `\u001b`, `\u202e`), so that printing it cannot move the cursor, change colours, set the title,
 * reorder text or start a line. Printable text, backslashes included, is unchanged.
 */
export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, escapeChar);
}

/** Like terminalSafe, but keeps line feeds and tabs: for output that is meant to be several lines. */
export function terminalSafeLines(text: string): string {
  return text.replace(UNSAFE, (c) => (c === "\n" || c === "\t" ? c : escapeChar(c)));
}

/** File content for an error message: escaped, quoted, and at most `max` characters of it. */
export function quoteExcerpt(text: string, max = 40): string {
  const chars = Array.from(text);
  const shown = chars.slice(0, max).join("");
  return `"${terminalSafe(shown)}"${chars.length > max ? "..." : ""}`;
}

/** JSON text whose every character is printable: what JSON.stringify leaves raw is escaped as \uXXXX. */
export function safeJson(value: unknown, indent = 2): string {
  return JSON.stringify(value, null, indent).replace(UNSAFE_IN_JSON, escapeChar);
}

/** A secret as it travels to a pack or sits in a stack export (value, plaintext or ciphertext). */
export function isSecretValue(v: unknown): v is Record<string, unknown> {
  return isObject(v) && v[SIG_KEY] === SECRET_SIG;
}

function addLeaves(value: unknown, into: Set<string>): void {
  if (typeof value === "string") {
    into.add(value);
  } else if (typeof value === "number" || typeof value === "bigint") {
    into.add(String(value));
  } else if (Array.isArray(value)) {
    value.forEach((v) => addLeaves(v, into));
  } else if (isObject(value)) {
    Object.values(value).forEach((v) => addLeaves(v, into));
  }
}

/**
 * Adds to `into` the plain values held by the secrets in a value tree: string and number leaves of
 * a secret's value, or of an export's decrypted "plaintext" (JSON-encoded) and the text itself.
 */
export function collectSecretPlaintexts(value: unknown, into: Set<string> = new Set()): Set<string> {
  if (Array.isArray(value)) {
    value.forEach((v) => collectSecretPlaintexts(v, into));
  } else if (isSecretValue(value)) {
    if ("value" in value) {
      addLeaves(value.value, into);
    }
    if (typeof value.plaintext === "string") {
      into.add(value.plaintext);
      try {
        addLeaves(JSON.parse(value.plaintext), into);
      } catch {
        // Not JSON: the text itself is the value, added above.
      }
    }
  } else if (isObject(value)) {
    Object.values(value).forEach((v) => collectSecretPlaintexts(v, into));
  }
  return into;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * A function that replaces each known secret value wherever it occurs in a string, as the engine's
 * secret filter does with secure config values: values shorter than 3 characters, "true" and
 * "false" are left alone (they would blank out ordinary text), and each value's JSON-escaped form
 * is caught too.
 */
export function secretFilter(plaintexts: Iterable<string>): (text: string) => string {
  const needles = new Set<string>();
  for (const p of plaintexts) {
    if (p.length < 3 || /^(true|false)$/i.test(p)) {
      continue;
    }
    needles.add(p);
    needles.add(JSON.stringify(p).slice(1, -1));
  }
  if (needles.size === 0) {
    return (text) => text;
  }
  // Longest first, so that a secret containing another is replaced whole.
  const pattern = new RegExp([...needles].sort((a, b) => b.length - a.length).map(escapeRegExp).join("|"), "g");
  return (text) => text.replace(pattern, REDACTED);
}

/**
 * The value tree fit for output: every secret, whatever it holds, as "[secret]", and every string
 * (keys included) passed through `filter` (see secretFilter), so that a secret's value copied
 * elsewhere in the tree is hidden too.
 */
export function redactSecrets(value: unknown, filter: (text: string) => string = (t) => t): unknown {
  if (typeof value === "string") {
    return filter(value);
  }
  if (Array.isArray(value)) {
    return value.map((v) => redactSecrets(v, filter));
  }
  if (!isObject(value)) {
    return value;
  }
  if (isSecretValue(value)) {
    return REDACTED;
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[filter(k)] = redactSecrets(v, filter);
  }
  return out;
}
