// `npm run bench` (or `npm run bench -- --typecheck`): what type-checking a TypeScript program as
// `pulumi preview` does adds to the offline preview, against the transpile-only run (the preview
// before the check existed, `--transpile-only` now) of the same program in the same run. For each of
// the two examples and a generated 20,000-resource TypeScript program: the first run (no kept
// answer: the compiler checks the program while it runs) and a repeated run of the unchanged program
// (the kept answer serves). Each side's time is spawn to exit, its peak memory that of its process tree.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

import { measure, Measured, seconds, writeProgram } from "./preview-scale";
import { median, mib, ratio, table } from "./stats";

const REPO = path.resolve(__dirname, "..", "..", "..");
const PREVIEW = path.join(REPO, "bin", "tools", "preview", "main.js");
/** A repeated run of an unchanged program may take this many times the transpile-only run. */
const TARGET_REPEATED = 1.2;
const LARGE = 20000;

interface Case {
  name: string;
  dir: string;
  rounds: number;
}

type Side = "transpile-only" | "first" | "repeated";

export async function benchTypeCheck(log: (m: string) => void, large = LARGE): Promise<string> {
  const generated = writeProgram(large, "ts");
  const cases: Case[] = [
    { name: "examples/compliant-trail", dir: path.join(REPO, "examples", "compliant-trail"), rounds: 3 },
    { name: "examples/noncompliant-trail", dir: path.join(REPO, "examples", "noncompliant-trail"), rounds: 3 },
    { name: `generated, ${large.toLocaleString("en")} resources`, dir: generated, rounds: 1 },
  ];
  const caches = fs.mkdtempSync(path.join(os.tmpdir(), "cis-cloudtrail-typecheck-bench-"));
  const rows: string[][] = [];
  let met = true;
  try {
    for (const c of cases) {
      const samples: Record<Side, Measured[]> = { "transpile-only": [], first: [], repeated: [] };
      for (let round = 0; round < c.rounds; round++) {
        // A fresh cache per round: its first run is a first run; the repeated run follows it.
        const env = { ...process.env, XDG_CACHE_HOME: path.join(caches, `${rows.length}-${round}`) };
        const order: Side[] = round % 2 === 0 ? ["transpile-only", "first", "repeated"] : ["first", "repeated", "transpile-only"];
        for (const side of order) {
          const args = [PREVIEW, "--timeout", "3600", ...(side === "transpile-only" ? ["--transpile-only"] : []), c.dir];
          const m = await measure(args, REPO, env);
          if (m.status !== 0 && m.status !== 1) {
            throw new Error(`${c.name}, ${side}, exited ${m.status}: ${m.stderrTail}`);
          }
          samples[side].push(m);
          log(`typecheck: ${c.name}, round ${round + 1}/${c.rounds}, ${side} ${seconds(m.ms)}, peak ${mib(m.peakKb)}`);
        }
      }
      const time = (side: Side) => median(samples[side].map((m) => m.ms));
      const peak = (side: Side) => Math.max(...samples[side].map((m) => m.peakKb));
      const repeated = time("repeated") / time("transpile-only");
      met &&= repeated <= TARGET_REPEATED;
      rows.push([
        c.name,
        String(c.rounds),
        seconds(time("transpile-only")),
        `${seconds(time("first"))} (${ratio(time("first") / time("transpile-only"))})`,
        `${seconds(time("repeated"))} (${ratio(repeated)})`,
        mib(peak("transpile-only")),
        mib(peak("first")),
        mib(peak("repeated")),
        repeated <= TARGET_REPEATED ? "yes" : "NO",
      ]);
    }
  } finally {
    fs.rmSync(generated, { recursive: true, force: true });
    fs.rmSync(caches, { recursive: true, force: true });
  }
  return [
    "Type check as `pulumi preview` does it, against the transpile-only run (--transpile-only) of the same program: " +
      "the first run (the check runs beside the program and the pack) and a repeated run of the unchanged program " +
      "(the kept answer serves). Median time of the rounds, spawn to exit; peak is the most memory the run's processes held at once.",
    table(
      ["program", "rounds", "transpile-only", "first run", "repeated run", "peak transpile-only", "peak first", "peak repeated", "met"],
      rows,
    ),
    `Target: a repeated run within ${TARGET_REPEATED}× of the transpile-only run for every program: ${met ? "yes" : "NO"}.`,
  ].join("\n");
}
