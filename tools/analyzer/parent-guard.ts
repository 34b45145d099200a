// Preloaded (`node --require`) into the processes the preview and the test harness start: when the
// process that started this one dies, its children are handed to another parent; then this process
// ends its own process group (itself and anything it started) instead of running on unwatched.

import { GUARD_PARENT_ENV, watchParent } from "./process-group";

const starter = Number(process.env[GUARD_PARENT_ENV]);
// Read once: a process this one forks with the same preload has this one for a parent.
delete process.env[GUARD_PARENT_ENV];

watchParent(() => {
  try {
    process.kill(-process.pid, "SIGKILL");
  } catch {
    // Not a group leader: end this process alone.
  }
  process.exit(1);
}, false, Number.isInteger(starter) && starter > 1 ? starter : undefined);
