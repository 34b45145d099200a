// The SDK's promise debugging, left out of a preview run.

import * as path from "path";

import { requireFrom } from "./sdk";

/**
 * The SDK passes every promise it makes through `debuggablePromise`, which stamps it with a formatted
 * stack trace and a label and chains two more promises onto it to track leaks, all read only when
 * PULUMI_DEBUG_PROMISE_LEAKS is set or by the exit-time leak report this worker does not use (it
 * reports pending registrations itself). That is about 120 promises a resource for a resource class
 * with 30 properties; with source maps on, formatting the traces is most of a large program's run
 * time, and the stamps and chains a third of its heap. Here promises pass through untouched:
 * registrations, and so what the pack sees, are the same.
 */
export function skipPromiseDebugging(sdkDir: string): void {
  if (process.env.PULUMI_DEBUG_PROMISE_LEAKS) {
    return;
  }
  let debuggable: { debuggablePromise?: unknown };
  try {
    debuggable = requireFrom(sdkDir, path.join(sdkDir, "runtime", "debuggable")) as typeof debuggable;
  } catch {
    return;
  }
  // The SDK's modules call it through their module object, so replacing the export reaches them all.
  if (typeof debuggable.debuggablePromise === "function") {
    debuggable.debuggablePromise = <T>(p: Promise<T>) => p;
  }
}
