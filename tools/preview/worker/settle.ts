// When the program is done: its main promise settled and registrations stopped; or stalled, when
// the event loop empties with work unfinished.

import { fail, Stalled } from "./failure";
import { pendingRegistrations, stalledMessage } from "./pending";
import { recorded } from "./recorded";
import { SdkLike } from "./sdk";

/**
 * Fails the run when the event loop empties before the program's main promise settles: nothing can
 * settle it now. Returns the function that stops watching, for when the promise has settled.
 */
export function failWhenStalled(): () => void {
  const stalled = () => fail(new Stalled(stalledMessage()));
  process.once("beforeExit", stalled);
  return () => process.removeListener("beforeExit", stalled);
}

/** Resolves once the program has stopped registering resources. */
export function settled(sdk: SdkLike): Promise<void> {
  return new Promise((resolve) => {
    let done = false;
    const finish = () => {
      if (!done) {
        done = true;
        process.removeListener("beforeExit", loopEmpty);
        resolve();
      }
    };
    // A program without open handles: the event loop empties and Node says so; registrations still
    // pending then can never finish.
    const loopEmpty = () => (pendingRegistrations().count > 0 ? fail(new Stalled(stalledMessage())) : finish());
    process.once("beforeExit", loopEmpty);
    // A program that leaves timers or sockets open: wait until registrations stop for a while.
    let last = -1;
    let quiet = 0;
    const poll = () => {
      if (done) {
        return;
      }
      void Promise.resolve(sdk.runtime.waitForRPCs?.()).then(() => {
        if (recorded.registered === last) {
          quiet++;
        } else {
          quiet = 0;
          last = recorded.registered;
        }
        // Registrations still pending may be waiting on the program's timers: wait for them too.
        if (quiet >= 10 && pendingRegistrations().count === 0) {
          finish();
        } else {
          setTimeout(poll, 25).unref();
        }
      }, finish);
    };
    setTimeout(poll, 25).unref();
  });
}
