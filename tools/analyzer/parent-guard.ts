// Preloaded (`node --require`) into the processes the preview and the test harness start: when the
// process that started this one dies, its children are handed to another parent; then this process
// ends its own process group (itself and anything it started) instead of running on unwatched.

const parent = process.ppid;

function orphaned(): void {
  try {
    process.kill(-process.pid, "SIGKILL");
  } catch {
    // Not a group leader: end this process alone.
  }
  process.exit(1);
}

// Polled rather than watched through an IPC channel: listening for "disconnect" would keep a
// worker's event loop alive, and the worker must see it empty.
setInterval(() => {
  if (process.ppid !== parent) {
    orphaned();
  }
}, 250).unref();
