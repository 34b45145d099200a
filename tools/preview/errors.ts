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

/**
 * Why JSON.parse rejected a file, for a one-line message. The parser quotes a few characters of the
 * file; they are shown escaped (a binary or ESC-prefixed file cannot reach the terminal raw) and the
 * whole is cut to `max` characters.
 */
export function jsonSyntaxError(err: unknown, max = 120): string {
  const detail = terminalSafe(errorMessage(err));
  return detail.length > max ? `${detail.slice(0, max)}...` : detail;
}
