// The example stacks compile against the real @pulumi/aws and @pulumi/pulumi types: a misspelt
// property or a v7 rename breaks this test before it breaks a user's `pulumi up`.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

const root = path.join(__dirname, "..");
const tsc = require.resolve("typescript/bin/tsc", { paths: [root] });
const EXAMPLES = ["compliant-trail", "noncompliant-trail"];

// One tsc run over an example takes about 7 s here (skipLibCheck is on); the limit leaves room
// for a loaded CI machine.
const TSC_TIMEOUT_MS = 60_000;

function readJson(file: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
}

function majorOf(range: string): string {
  const match = /(\d+)\./.exec(range);
  return match ? match[1] : range;
}

describe.each(EXAMPLES)("examples/%s", (name) => {
  const dir = path.join(root, "examples", name);

  it("is a complete Pulumi TypeScript project", () => {
    const files = ["Pulumi.yaml", "Pulumi.dev.yaml", "package.json", "tsconfig.json", "index.ts", "README.md"];
    expect(files.filter((file) => !fs.existsSync(path.join(dir, file)))).toEqual([]);
    const tsconfig = readJson(path.join(dir, "tsconfig.json"));
    expect(tsconfig.files).toEqual(["index.ts"]);
    expect((tsconfig.compilerOptions as Record<string, unknown>).strict).toBe(true);
  });

  it("depends on the same @pulumi major versions as the pack", () => {
    const rootPackage = readJson(path.join(root, "package.json"));
    const rootVersions = {
      ...(rootPackage.dependencies as Record<string, string>),
      ...(rootPackage.devDependencies as Record<string, string>),
    };
    const dependencies = readJson(path.join(dir, "package.json")).dependencies as Record<string, string>;
    for (const pkg of ["@pulumi/pulumi", "@pulumi/aws"]) {
      expect(dependencies[pkg]).toBeDefined();
      expect(majorOf(dependencies[pkg])).toBe(majorOf(rootVersions[pkg]));
    }
  });

  it(
    "type-checks with tsc --noEmit and strict settings",
    () => {
      const started = Date.now();
      const result = spawnSync(process.execPath, [tsc, "--noEmit", "-p", path.join("examples", name)], {
        cwd: root,
        encoding: "utf8",
        timeout: TSC_TIMEOUT_MS - 5_000,
      });
      const diagnostics = `${result.stdout ?? ""}${result.stderr ?? ""}`.trim();
      expect({ status: result.status, error: result.error?.message, diagnostics }).toEqual({
        status: 0,
        error: undefined,
        diagnostics: "",
      });
      expect(Date.now() - started).toBeLessThan(TSC_TIMEOUT_MS);
    },
    TSC_TIMEOUT_MS,
  );
});

it("the pack's own build leaves examples out", () => {
  const include = readJson(path.join(root, "tsconfig.json")).include as string[];
  expect(include.some((pattern) => pattern.includes("examples") || pattern.startsWith("**"))).toBe(false);
});
