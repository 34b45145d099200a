// The registrations the program's SDK has started and not finished: what a progress message and a
// stalled program's failure name.

import * as path from "path";

import { recorded } from "./recorded";
import { requireFrom } from "./sdk";

/** How many unfinished registrations a message names. */
const PENDING_NAMED = 5;
let pendingSource: (() => Map<unknown, { name?: string; type?: string; label?: string }>) | undefined;

/** Reads pending registrations from the SDK's runtime state, when its version keeps them. */
export function watchPendingRegistrations(sdkDir: string): void {
  const sdkState = requireFrom(sdkDir, path.join(sdkDir, "runtime", "state")) as { getPendingResourceRegistrations?(): Map<unknown, never> };
  if (typeof sdkState.getPendingResourceRegistrations === "function") {
    pendingSource = () => sdkState.getPendingResourceRegistrations?.() ?? new Map();
  }
}

/** How many registrations the SDK has started and not finished, and the first `limit` of them as `"name" [type]`. */
export function pendingRegistrations(limit = PENDING_NAMED): { count: number; named: string[] } {
  const pending = pendingSource?.();
  const named: string[] = [];
  if (!pending) {
    return { count: 0, named };
  }
  for (const r of pending.values()) {
    if (named.length >= limit) {
      break;
    }
    named.push(r.name && r.type ? `"${r.name}" [${r.type}]` : String(r.label ?? "a resource"));
  }
  return { count: pending.size, named };
}

function count(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? "" : "s"}`;
}

/** Why the program stopped without finishing: what it registered, and what never finished. */
export function stalledMessage(): string {
  const registered = recorded.registered;
  const pending = pendingRegistrations();
  if (pending.count === 0) {
    return `the program stopped with ${count(registered, "resource")} registered and its main promise unresolved: it awaits a promise that never resolves`;
  }
  const named = pending.named.join(", ");
  const more = pending.count > pending.named.length ? ` and ${pending.count - pending.named.length} more` : "";
  return (
    `the program stopped with ${count(pending.count, "resource registration")} that never finished: ${named}${more} ` +
    `(waiting on a promise or output that never resolves); ${count(registered, "resource")} registered`
  );
}
