// Progress messages to the parent as the program registers resources.

import { send } from "./parent";
import { pendingRegistrations } from "./pending";
import { recorded } from "./recorded";

/**
 * A progress message at each hundredth resource, and at most one per PROGRESS_MS in between: one per
 * resource would cost more than the resource.
 */
const PROGRESS_MS = 100;
let progressTimer: NodeJS.Timeout | undefined;

function sendProgress(): void {
  send({ kind: "progress", registered: recorded.registered, pending: pendingRegistrations().named });
}

/** Counts one more answered registration, and tells the parent when it is time. */
export function progress(): void {
  recorded.registered++;
  if (recorded.registered % 100 === 0) {
    sendProgress();
    return;
  }
  progressTimer ??= setTimeout(() => {
    progressTimer = undefined;
    sendProgress();
  }, PROGRESS_MS).unref();
}
