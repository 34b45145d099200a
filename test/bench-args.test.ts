// The bench's command line: --help and a mistyped option answer at once instead of starting a
// bench that runs for many minutes.
import * as path from "path";
import { ROOT, runCli } from "./run-cli";

const BENCH_MAIN = path.join(ROOT, "bin", "tools", "bench", "main.js");
const PARTS = ["--profile", "--live-account", "--account", "--hostile", "--preview-scale", "--stack", "--typecheck"];

describe("bench arguments", () => {
  test("--help lists each part that runs alone, and exits 0 without measuring", async () => {
    const { status, stdout, stderr } = await runCli(BENCH_MAIN, ["--help"]);
    expect(status).toBe(0);
    expect(stderr).toBe("");
    const listed = stdout.split("\n").filter((l) => /^ {2}-/.test(l)).map((l) => l.trim().split(/\s+/)[0]);
    expect(listed).toEqual([...PARTS, "--help"]);
  });

  test("an unknown option is named, with the usage, exit 2 and nothing measured", async () => {
    const { status, stdout, stderr } = await runCli(BENCH_MAIN, ["--stak"]);
    expect(status).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toMatch(/^bench: unknown option "--stak"\n\nUsage: npm run bench/);
  });
});
