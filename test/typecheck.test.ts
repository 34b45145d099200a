// TypeScript programs are type-checked as `pulumi preview` checks them (Pulumi's Node.js language
// host registers ts-node with type checking on): a program with type errors gets no verdict, as the
// CLI would not run it, unless PULUMI_NODEJS_TRANSPILE_ONLY=true, tsconfig noCheck or
// --transpile-only says to skip the check.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

import { loadProject } from "../tools/preview/project";
import { startTypeCheck } from "../tools/preview/typecheck";
import { CliResult, preview, ROOT } from "./run-cli";

const FIXTURE = path.join(ROOT, "test", "fixtures", "programs", "type-errors-ts");
const HEADLINE =
  "error: the program has 2 TypeScript errors; `pulumi preview` would stop at them before running it (--transpile-only skips the check)";
const MISSPELT_OPERATOR =
  "index.ts:15:33 TS2353 Object literal may only specify known properties, and 'notEqual' does not exist in type 'Input<TrailAdvancedEventSelectorFieldSelector>'.";
const STRING_FOR_NUMBER = "index.ts:21:7 TS2322 Type 'string' is not assignable to type 'number'.";
/** A first check parses @pulumi/aws's declarations: many seconds on a loaded machine. */
const SLOW = 240_000;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "typecheck-test-"));
const savedCache = process.env.XDG_CACHE_HOME;

beforeAll(() => {
  // Answers kept by this file's runs only, so that a first run here is a first run.
  process.env.XDG_CACHE_HOME = path.join(tmp, "cache");
});

afterAll(() => {
  if (savedCache === undefined) delete process.env.XDG_CACHE_HOME;
  else process.env.XDG_CACHE_HOME = savedCache;
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** A copy of the fixture with extra files, resolving its packages from this repository. */
function copyOfFixture(name: string, files: Record<string, string> = {}): string {
  const dir = path.join(tmp, name);
  fs.cpSync(FIXTURE, dir, { recursive: true });
  fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
  for (const [file, text] of Object.entries(files)) {
    fs.writeFileSync(path.join(dir, file), text);
  }
  return dir;
}

function stderrLines(result: CliResult): string[] {
  return result.stderr.split("\n").filter((l) => l !== "");
}

function expectTypeErrors(result: CliResult): void {
  expect({ status: result.status, stdout: result.stdout, stderr: stderrLines(result) }).toEqual({
    status: 2,
    stdout: "",
    stderr: [HEADLINE, MISSPELT_OPERATOR, STRING_FOR_NUMBER],
  });
}

/** The verdict of a transpile-only run: the misspelt exclusion is dropped, so the trail passes. */
function expectVerdict(result: CliResult): void {
  expect(result.status).toBe(0);
  expect(result.stdout).toContain("Policies: 0 mandatory violations, 5 advisory, 4 resources analyzed");
}

describe("the misspelt-operator program (notEqual for notEquals, a string for a number)", () => {
  test("exits 2 naming index.ts and each TypeScript error, with no verdict", async () => {
    expectTypeErrors(await preview([FIXTURE]));
  }, SLOW);

  test("--json prints only the error object, with the errors; --sarif writes no log", async () => {
    const sarif = path.join(tmp, "results.sarif");
    const result = await preview(["--json", "--sarif", sarif, FIXTURE]);
    expect(result.status).toBe(2);
    expect(JSON.parse(result.stdout)).toEqual({
      error: {
        message: HEADLINE.slice("error: ".length),
        typeErrors: [
          { file: "index.ts", line: 15, column: 33, code: "TS2353", message: MISSPELT_OPERATOR.split(" TS2353 ")[1] },
          { file: "index.ts", line: 21, column: 7, code: "TS2322", message: "Type 'string' is not assignable to type 'number'." },
        ],
      },
    });
    expect(fs.existsSync(sarif)).toBe(false);
  }, SLOW);

  test("PULUMI_NODEJS_TRANSPILE_ONLY=true runs it as the CLI would then: a verdict", async () => {
    expectVerdict(await preview([FIXTURE], { PULUMI_NODEJS_TRANSPILE_ONLY: "true" }));
  }, SLOW);

  test("--transpile-only runs it too, and --help says the CLI would type-check", async () => {
    expectVerdict(await preview(["--transpile-only", FIXTURE]));
    const help = await preview(["--help"]);
    expect(help.stdout.replace(/\s+/g, " ")).toContain(
      "--transpile-only Do not type-check a TypeScript program, as PULUMI_NODEJS_TRANSPILE_ONLY=true does (the Pulumi CLI type-checks",
    );
  }, SLOW);

  test("tsconfig noCheck: true skips the check, noCheck: false does not", async () => {
    const dir = copyOfFixture("no-check", { "tsconfig.json": '{ "compilerOptions": { "noCheck": true } }\n' });
    expectVerdict(await preview([dir]));
    fs.writeFileSync(path.join(dir, "tsconfig.json"), '{ "compilerOptions": { "noCheck": false } }\n');
    expectTypeErrors(await preview([dir]));
  }, SLOW);

  test("PULUMI_NODEJS_TSCONFIG_PATH names the tsconfig the check reads", async () => {
    const dir = copyOfFixture("tsconfig-path", { "tsconfig.pulumi.json": '{ "compilerOptions": { "noCheck": true } }\n' });
    expectVerdict(await preview([dir], { PULUMI_NODEJS_TSCONFIG_PATH: "tsconfig.pulumi.json" }));
    expectTypeErrors(await preview([dir]));
  }, SLOW);
});

describe("the run compiles with the options the check used, as the host gives them to ts-node", () => {
  /** A default import of a CommonJS module: it needs esModuleInterop, which module nodenext brings. */
  function defaultImportProgram(name: string, files: Record<string, string> = {}): string {
    const dir = path.join(tmp, name);
    fs.mkdirSync(dir);
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), `name: ${name}\nruntime: nodejs\n`);
    fs.writeFileSync(path.join(dir, "index.ts"), 'import path from "path";\nexport const logs = path.basename("/buckets/audit-logs");\n');
    for (const [file, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, file), text);
    return dir;
  }

  test("no tsconfig: Pulumi's defaults (module nodenext, so esModuleInterop) for the check and the run alike", async () => {
    const result = await preview([defaultImportProgram("default-import")]);
    expect(result.stderr).not.toMatch(/program failed|TS\d{4}/);
    expect(result.stdout).toContain("This stack has no CloudTrail trail");
    expect(result.status).toBe(1);
  }, SLOW);

  test("PULUMI_NODEJS_TSCONFIG_PATH's options reach the run: module commonjs without esModuleInterop fails as under the CLI", async () => {
    const dir = defaultImportProgram("default-import-commonjs", {
      "tsconfig.pulumi.json": '{ "compilerOptions": { "module": "commonjs", "moduleResolution": "node", "noCheck": true } }\n',
    });
    const result = await preview([dir], { PULUMI_NODEJS_TSCONFIG_PATH: "tsconfig.pulumi.json" });
    expect(result.stderr).toContain("error: the program failed: TypeError: Cannot read properties of undefined (reading 'basename') (index.ts:2:");
    expect(result.status).toBe(2);
    expect((await preview([dir])).status).toBe(1);
  }, SLOW);
});

describe("reuse of a check", () => {
  test("a kept answer serves while nothing the check read has changed, and not once a file has", async () => {
    const dir = copyOfFixture("reuse");
    expectTypeErrors(await preview([dir]));
    const project = loadProject(dir);
    const timeLimit = { deadline: Date.now() + SLOW, seconds: SLOW / 1000 };
    const kept = startTypeCheck(project, { timeLimit });
    expect(kept.known?.map((e) => e.code)).toEqual([2353, 2322]);

    const source = fs.readFileSync(path.join(dir, "index.ts"), "utf8");
    fs.writeFileSync(path.join(dir, "index.ts"), source.replace("notEqual:", "notEquals:").replace('= "x"', "= 90"));
    const changed = startTypeCheck(project, { timeLimit });
    try {
      expect(changed.known).toBeUndefined();
      expect(await changed.errors).toEqual([]);
    } finally {
      changed.stop();
    }
    // Fixed, the exclusion is real: CIS wants every management event, so the stack is blocked.
    const fixed = await preview([dir]);
    expect(fixed.status).toBe(1);
    expect(fixed.stdout).toContain('Trail "main" does not record read or write management events from kms.amazonaws.com.');
  }, SLOW);
});

test("type errors win over the program's own failure: the CLI would not have run it", async () => {
  const dir = path.join(tmp, "throws");
  fs.mkdirSync(dir);
  fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
  fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: throws\nruntime: nodejs\n");
  fs.writeFileSync(path.join(dir, "index.ts"), 'const days: number = "x";\nthrow new Error(`boom after ${days}`);\n');
  const result = await preview([dir]);
  expect({ status: result.status, stderr: stderrLines(result) }).toEqual({
    status: 2,
    stderr: [HEADLINE.replace("2 TypeScript errors", "1 TypeScript error"), "index.ts:1:7 TS2322 Type 'string' is not assignable to type 'number'."],
  });
}, SLOW);
