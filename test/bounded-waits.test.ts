// Every wait of the preview is bounded and ends with a message that says what happened: a program
// that can make no progress, one that exits by itself, an export too deep or with a signature no
// engine writes, and the time limit in --state mode too. Each ends with one line and exit 2.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

import { SIG_KEY } from "../tools/analyzer/types";
import { preview } from "./run-cli";

const PROGRAMS = path.join(__dirname, "fixtures", "programs");
const COMPLIANT = path.join(__dirname, "fixtures", "states", "compliant.json");

async function oneLineError(args: string[]): Promise<string> {
  const result = await preview(args);
  expect(result.status).toBe(2);
  const lines = result.stderr.split("\n").filter((l) => l.startsWith("error: "));
  expect(lines).toHaveLength(1);
  expect(result.stderr).not.toMatch(/\n\s+at |Maximum call stack/);
  return lines[0];
}

/** The compliant export with one resource's inputs changed. */
function exportWith(change: (inputs: Record<string, unknown>) => void): string {
  const doc = JSON.parse(fs.readFileSync(COMPLIANT, "utf8"));
  const trail = doc.deployment.resources.find((r: { type: string }) => r.type === "aws:cloudtrail/trail:Trail");
  change(trail.inputs);
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "bounded-waits-")), "export.json");
  fs.writeFileSync(file, JSON.stringify(doc));
  return file;
}

describe("bounded waits, true messages", () => {
  test("registrations that wait on a promise that never resolves are named", async () => {
    expect(await oneLineError([path.join(PROGRAMS, "stalls-js")])).toBe(
      'error: the program stopped with 1 resource registration that never finished: "blocked" [fixture:index:Blocked] ' +
        "(waiting on a promise or output that never resolves); 2 resources registered",
    );
  });

  test("process.exit(0) is reported with the code the program gave, without the SDK's leak report", async () => {
    const result = await preview([path.join(PROGRAMS, "exits-zero-js")]);
    expect(result.status).toBe(2);
    expect(result.stderr.trim()).toBe("error: the program called process.exit(0) before it finished, 0 resources registered");
  });

  test("a program that runs out of memory is one line with the remedy, not V8's trace", async () => {
    // A small heap for every process, so that the program's runs out at once.
    const result = await preview([path.join(PROGRAMS, "exhausts-memory-js")], { NODE_OPTIONS: "--max-old-space-size=200" });
    expect(result.status).toBe(2);
    expect(result.stderr.trim()).toMatch(
      /^error: the program ran out of memory \(heap limit from NODE_OPTIONS\) after \d+ resources?: run it on a machine with more memory, or set NODE_OPTIONS=--max-old-space-size=<MiB>$/,
    );
  });

  test("an export with an unknown special signature is refused, naming the property", async () => {
    const file = exportWith((inputs) => (inputs.isMultiRegionTrail = { [SIG_KEY]: "deadbeef" }));
    expect(await oneLineError(["--state", file])).toMatch(
      /is malformed: property isMultiRegionTrail of urn:pulumi:.*Trail::.* \(inputs\) has an unknown special signature "deadbeef"/,
    );
  });

  test("an export nested 100,000 levels deep is refused at the depth bound", async () => {
    const file = exportWith(() => undefined);
    const text = fs.readFileSync(file, "utf8").replace('"inputs":{', `"inputs":{"deep":${"[".repeat(100000)}${"]".repeat(100000)},`);
    fs.writeFileSync(file, text);
    expect(await oneLineError(["--state", file])).toMatch(/property deep(\[0\])+ of .* is nested more than 100 levels deep/);
  });

  test("--state meets the time limit too, and says how far it got", async () => {
    expect(await oneLineError(["--timeout", "0.001", "--state", COMPLIANT])).toMatch(
      /^error: the preview did not finish within the 0\.001s time limit \(--timeout\): (starting the policy pack|.*, 0 of \d+ resources analyzed)$/,
    );
  });
});
