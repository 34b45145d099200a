import { errorMessage } from "../../lib/text";
import { terminalSafe } from "./safe-text";

/**
 * An error the user can act on: bad arguments, a missing or malformed input, a program that fails.
 * The CLI prints its message as one line and exits with status 2, without a stack trace; `details`
 * are further lines printed after it, `data` further fields of the `--json` error object.
 */
export class PreviewError extends Error {
  constructor(
    message: string,
    readonly details: string[] = [],
    readonly data: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = "PreviewError";
  }
}

// Shared with the live-account reader, which the pack ships: defined in lib/text.ts.
export { errorMessage, firstLine } from "../../lib/text";

/**
 * Why JSON.parse rejected a file, for a one-line message. The parser quotes a few characters of the
 * file; they are shown escaped (a binary or ESC-prefixed file cannot reach the terminal raw) and the
 * whole is cut to `max` characters.
 */
export function jsonSyntaxError(err: unknown, max = 120): string {
  const detail = terminalSafe(errorMessage(err));
  return detail.length > max ? `${detail.slice(0, max)}...` : detail;
}

const JSON_STRING_PREFIX = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*/y;
const JSON_NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const JSON_LITERAL = /true|false|null/y;

function matchAt(pattern: RegExp, text: string, at: number): number {
  pattern.lastIndex = at;
  return pattern.test(text) ? pattern.lastIndex : -1;
}

/**
 * Where JSON.parse stops reading `text`: the index of the first character that is not valid JSON
 * (text.length when the text ends too soon), or -1 when it is valid. JSON.parse names a position for
 * some errors only; this finds it for every one, without recursion, however deep the nesting.
 */
export function jsonErrorIndex(text: string): number {
  const closers: string[] = [];
  type Expect = "value" | "first value" | "key" | "first key" | "colon" | "next";
  let expect: Expect = "value";
  let i = 0;
  for (;;) {
    while (i < text.length && " \t\n\r".includes(text[i])) i++;
    const c = text[i];
    if (c === undefined) return expect === "next" && closers.length === 0 ? -1 : i;
    if (expect === "first value" && c === "]" || expect === "first key" && c === "}") {
      closers.pop();
      i++;
      expect = "next";
    } else if (expect === "value" || expect === "first value") {
      if (c === "{" || c === "[") {
        closers.push(c === "{" ? "}" : "]");
        expect = c === "{" ? "first key" : "first value";
        i++;
        continue;
      }
      const end = c === '"' ? matchAt(JSON_STRING_PREFIX, text, i) : Math.max(matchAt(JSON_NUMBER, text, i), matchAt(JSON_LITERAL, text, i));
      if (end < 0) return i;
      if (c === '"' && text[end] !== '"') return end;
      i = c === '"' ? end + 1 : end;
      expect = "next";
    } else if (expect === "key" || expect === "first key") {
      if (c !== '"') return i;
      const end = matchAt(JSON_STRING_PREFIX, text, i);
      if (text[end] !== '"') return end;
      i = end + 1;
      expect = "colon";
    } else if (expect === "colon") {
      if (c !== ":") return i;
      i++;
      expect = "value";
    } else {
      const closer = closers[closers.length - 1];
      if (c === ",") {
        if (closer === undefined) return i;
        expect = closer === "}" ? "key" : "value";
      } else if (c === closer) {
        closers.pop();
      } else {
        return i;
      }
      i++;
    }
  }
}

/** Why `text` is not JSON, for a one-line message: the byte offset where it stops, and the parser's words. */
export function jsonErrorAt(text: string, err: unknown): string {
  const index = jsonErrorIndex(text);
  // The parser's own position counts UTF-16 units, not bytes: it is left out in favour of the offset.
  const words = jsonSyntaxError(errorMessage(err).replace(/ in JSON at position \d+( \(line \d+ column \d+\))?/, ""));
  return index < 0 ? words : `at byte ${Buffer.byteLength(text.slice(0, index))}: ${words}`;
}
