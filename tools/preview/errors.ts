/**
 * An error the user can act on: bad arguments, a missing or malformed input, a program that fails.
 * The CLI prints its message as one line and exits with status 2, without a stack trace.
 */
export class PreviewError extends Error {
  constructor(message: string) {
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
