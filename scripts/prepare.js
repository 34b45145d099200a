// Builds the pack when installed from a source checkout. A packed pack (npm pack, `pulumi policy
// publish`) already holds bin/ and has no TypeScript sources or compiler, so this does nothing there.
const fs = require("fs");
const path = require("path");
const { execFileSync } = require("child_process");

const root = path.join(__dirname, "..");
let tsc;
try {
  tsc = require.resolve("typescript/bin/tsc", { paths: [root] });
} catch {
  process.exit(0);
}
if (!fs.existsSync(path.join(root, "tsconfig.json")) || !fs.existsSync(path.join(root, "index.ts"))) {
  process.exit(0);
}
execFileSync(process.execPath, [tsc, "-p", root], { stdio: "inherit" });
