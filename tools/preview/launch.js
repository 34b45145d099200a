// `npm run preview`: builds the pack and this tool when a source is newer than the last build (the
// same `tsc -p .` as `npm run build`), then runs bin/tools/preview/main.js. Skipping an up-to-date
// build saves the compiler's several seconds of parsing declaration files on every preview.
// `launch(tool)` does the same for another tool under tools/ (npm run check-account).
const fs = require("fs");
const path = require("path");
const { spawnSync } = require("child_process");

const root = path.resolve(__dirname, "..", "..");
const sources = ["index.ts", "policies", "lib", "tools", "tsconfig.json", "package.json"];

function newerThan(p, time) {
  let st;
  try {
    st = fs.statSync(p);
  } catch {
    return false;
  }
  if (st.isDirectory()) {
    return fs.readdirSync(p).some((f) => f !== "node_modules" && newerThan(path.join(p, f), time));
  }
  return /\.(ts|json)$/.test(p) && st.mtimeMs > time;
}

function stale(main, stamp) {
  if (!fs.existsSync(main) || !fs.existsSync(stamp)) {
    return true;
  }
  const built = fs.statSync(stamp).mtimeMs;
  return sources.some((s) => newerThan(path.join(root, s), built));
}

function launch(tool) {
  const main = path.join(root, "bin", "tools", tool, "main.js");
  const stamp = path.join(root, "bin", "tools", tool, ".built");
  if (stale(main, stamp)) {
    const started = Date.now();
    const tsc = require.resolve("typescript/bin/tsc", { paths: [root] });
    // The compiler reports on stderr, so that stdout carries only the report (--json stays parseable).
    const build = spawnSync(process.execPath, [tsc, "-p", root], { cwd: root, stdio: ["ignore", 2, 2] });
    if (build.status !== 0) {
      process.stderr.write("error: the build failed (npm run build); fix the errors above\n");
      process.exit(2);
    }
    fs.writeFileSync(stamp, new Date(started).toISOString() + "\n");
    fs.utimesSync(stamp, new Date(started), new Date(started));
  }
  return require(main);
}

module.exports = { launch };

if (require.main === module) {
  const preview = launch("preview");
  preview.installSignalHandlers();
  preview
    .main(process.argv.slice(2))
    .then((code) => preview.exitWhenFlushed(code));
}
