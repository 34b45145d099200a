// Preloaded (`node --require`) into the processes the preview and the test harness start: when the
// process that started this one dies, its children are handed to another parent; then this process
// ends its own process group (itself and anything it started) instead of running on unwatched.

import { watchParent } from "./process-group";

watchParent(() => {
  try {
    process.kill(-process.pid, "SIGKILL");
  } catch {
    // Not a group leader: end this process alone.
  }
  process.exit(1);
});
