// Output a user can trust: text from a program, a config file or a stack export is shown, never
// interpreted by the terminal, and secrets are shown the way the engine's own JSON output shows
// them ("[secret]"), never their value. Every report writer (text, JSON, and any other) goes through
// these helpers.

import { UNSAFE_CHARACTERS, UNSAFE_IN_JSON, escapeCharacter } from "../../lib/text";
import { decodePlaintext } from "../../lib/values";
import { SECRET_SIG, SIG_KEY } from "../analyzer/types";
import { isObject } from "../analyzer/types";

/** What a secret becomes in output, as in `pulumi preview --json` and `pulumi stack export`. */
export const REDACTED = "[secret]";

/**
 * The text with every control character, bidi control and line break written out visibly (`\n`,
 * `\u001b`, `\u202e`), so that printing it cannot move the cursor, change colours, set the title,
 * reorder text or start a line. Printable text, backslashes included, is unchanged.
 */
export function terminalSafe(text: string): string {
  return text.replace(UNSAFE_CHARACTERS, escapeCharacter);
}

/** Like terminalSafe, but keeps line feeds and tabs: for output that is meant to be several lines. */
export function terminalSafeLines(text: string): string {
  return text.replace(UNSAFE_CHARACTERS, (c) => (c === "\n" || c === "\t" ? c : escapeCharacter(c)));
}

// Shared with the live-account reader, which the pack ships: defined in lib/text.ts.
export { quoteExcerpt } from "../../lib/text";

/** JSON text whose every character is printable: what JSON.stringify leaves raw is escaped as \uXXXX. */
export function safeJson(value: unknown, indent = 2): string {
  return JSON.stringify(value, null, indent).replace(UNSAFE_IN_JSON, escapeCharacter);
}

/** A secret as it travels to a pack or sits in a stack export (value, plaintext or ciphertext). */
export function isSecretValue(v: unknown): v is Record<string, unknown> {
  return isObject(v) && v[SIG_KEY] === SECRET_SIG;
}

function addLeaves(value: unknown, into: Set<string>): void {
  if (typeof value === "string") {
    into.add(value);
  } else if (typeof value === "number") {
    into.add(String(value));
  } else if (Array.isArray(value)) {
    value.forEach((v) => addLeaves(v, into));
  } else if (isObject(value)) {
    Object.values(value).forEach((v) => addLeaves(v, into));
  }
}

/**
 * Adds to `into` the plain values held by the secrets in a value tree: a secret's string or number
 * value, or an export's decrypted "plaintext" (JSON-encoded). The leaves of a secret object or list
 * are added only with `objects`: for a program's or an export's inputs, where such a secret is one
 * the user made; an output that is secret as a whole is mostly one the SDK or the provider wrapped
 * around a single secret field, and its other leaves (an account id, a region) are not secret.
 */
export function collectSecretPlaintexts(value: unknown, into: Set<string> = new Set(), objects = true): Set<string> {
  if (Array.isArray(value)) {
    value.forEach((v) => collectSecretPlaintexts(v, into, objects));
  } else if (isSecretValue(value)) {
    const held = typeof value.plaintext === "string" ? decodePlaintext(value.plaintext) : value.value;
    if (typeof held === "string" || typeof held === "number") {
      into.add(String(held));
    } else if (objects) {
      addLeaves(held, into);
    } else {
      collectSecretPlaintexts(held, into, objects);
    }
  } else if (isObject(value)) {
    Object.values(value).forEach((v) => collectSecretPlaintexts(v, into, objects));
  }
  return into;
}

/** The secret values of resources: all of those in their inputs, the single ones in their outputs. */
export function collectResourceSecrets(
  resources: Iterable<{ inputs: unknown; outputs: unknown }>,
  into: Set<string> = new Set(),
): Set<string> {
  for (const r of resources) {
    collectSecretPlaintexts(r.inputs, into);
    collectSecretPlaintexts(r.outputs, into, false);
  }
  return into;
}

interface TrieNode {
  next: Map<string, TrieNode>;
  end: boolean;
}

/**
 * A function that replaces each known secret value wherever it occurs in a string, as the engine's
 * secret filter does with secure config values: values shorter than 3 characters, "true" and
 * "false" are left alone (they would blank out ordinary text), and each value's JSON-escaped form
 * is caught too. The longest value found at a position wins. The values sit in a trie, so the cost
 * grows with the length of the text, not with the number of secrets.
 */
export function secretFilter(plaintexts: Iterable<string>): (text: string) => string {
  const root: TrieNode = { next: new Map(), end: false };
  let empty = true;
  const add = (needle: string) => {
    let node = root;
    // By UTF-16 unit, as the matcher reads the text.
    for (let k = 0; k < needle.length; k++) {
      const c = needle[k];
      let child = node.next.get(c);
      if (!child) {
        child = { next: new Map(), end: false };
        node.next.set(c, child);
      }
      node = child;
    }
    node.end = true;
    empty = false;
  };
  for (const p of plaintexts) {
    if (p.length < 3 || /^(true|false)$/i.test(p)) {
      continue;
    }
    add(p);
    add(JSON.stringify(p).slice(1, -1));
  }
  if (empty) {
    return (text) => text;
  }
  /** The length of the longest secret starting at text[i], or 0. */
  const matchAt = (text: string, i: number): number => {
    let node: TrieNode | undefined = root;
    let longest = 0;
    for (let j = i; j < text.length; j++) {
      node = node.next.get(text[j]);
      if (!node) {
        break;
      }
      if (node.end) {
        longest = j + 1 - i;
      }
    }
    return longest;
  };
  return (text) => {
    let out = "";
    let copied = 0;
    for (let i = 0; i < text.length; ) {
      const length = root.next.has(text[i]) ? matchAt(text, i) : 0;
      if (length > 0) {
        out += text.slice(copied, i) + REDACTED;
        i += length;
        copied = i;
      } else {
        i++;
      }
    }
    return copied === 0 ? text : out + text.slice(copied);
  };
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
