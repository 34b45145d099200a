// The program's failure as one line for the parent, with the program's own source location when
// there is one.

import * as path from "path";

import { isProgramFile, job } from "./job";
import { finish } from "./parent";

/** The program can make no more progress: the message says what it left unfinished. */
export class Stalled extends Error {}

export function fail(err: unknown): void {
  finish(() => {
    let message: string;
    try {
      message = describeFailure(err);
    } catch {
      // A value whose getters or conversions throw: it cannot be described, but it is still the program's failure.
      message = "the program failed with a value that cannot be described (reading it throws)";
    }
    return { kind: "error", message };
  });
}

/** One line saying why the program failed, with the program's own source location when there is one. */
function describeFailure(err: unknown): string {
  if (err instanceof Stalled) {
    return err.message;
  }
  if (!(err instanceof Error)) {
    return `the program failed: ${oneLine(String(err))}`;
  }
  const e = err as Error & { code?: string };
  const message = oneLine(e.message || e.name);
  if (e.code === "MODULE_NOT_FOUND" && /Cannot find module/.test(e.message)) {
    // Node adds the chain of requiring files on further lines; the first names what is missing.
    return `the program failed to load: ${oneLine(e.message.split("\n")[0])}`;
  }
  const where = programLocation(e.stack ?? "");
  return `the program failed: ${e.name && e.name !== "Error" && !message.startsWith(e.name) ? `${e.name}: ` : ""}${message}${
    where ? ` (${where})` : ""
  }`;
}

function oneLine(text: string): string {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "");
  return lines.slice(0, 3).join(" ").slice(0, 500);
}

/** The first stack frame in the program's own files, relative to the project directory. */
function programLocation(stack: string): string | undefined {
  for (const line of stack.split("\n").slice(1)) {
    const m = /\(?((?:[A-Za-z]:)?[^():]+):(\d+):(\d+)\)?\s*$/.exec(line.trim());
    if (!m) {
      continue;
    }
    const file = m[1].replace(/^at\s+/, "");
    if (!isProgramFile(file)) {
      continue;
    }
    return `${path.relative(job.projectDir, file)}:${m[2]}:${m[3]}`;
  }
  return undefined;
}
