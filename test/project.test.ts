// How the offline preview reads a Pulumi project: each row is a project feature the CLI honours
// (pulumi/pulumi's workspace loaders and config validation, the Node.js language host, the SDK's
// run.js), run as users run the preview. The fixtures' trail is multi-region only when the project
// is read as the CLI reads it, so a misreading shows as a blocked stack.
import * as path from "path";

import { PreviewReport } from "../tools/preview/report";
import { CliResult, preview } from "./run-cli";

const PROJECTS = path.join(__dirname, "fixtures", "programs", "project-files");
const project = (name: string) => path.join(PROJECTS, name);

// Lookups answer for AWS_REGION: keep the runner's out of it.
delete process.env.AWS_REGION;
delete process.env.AWS_DEFAULT_REGION;
delete process.env.PULUMI_STACK;

async function previewJson(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ result: CliResult; report: PreviewReport }> {
  const result = await preview(["--json", ...args], env);
  if (result.status !== 0 && result.status !== 1) {
    throw new Error(`preview ${args.join(" ")} exited ${result.status}: ${result.stderr}`);
  }
  return { result, report: JSON.parse(result.stdout) as PreviewReport };
}

function trailInputs(report: PreviewReport): Record<string, unknown> | undefined {
  return report.resources.find((r) => r.type === "aws:cloudtrail/trail:Trail")?.inputs;
}

/** Exit status 2 with one `error:` line on stderr, after any warnings. */
function expectError(result: CliResult, message: string | RegExp): void {
  expect(result.status).toBe(2);
  expect(result.stdout).toBe("");
  const lines = result.stderr.split("\n").filter((l) => l !== "");
  expect(lines.filter((l) => !l.startsWith("warning: "))).toEqual([expect.stringMatching(/^error: /)]);
  const error = lines[lines.length - 1].slice("error: ".length);
  if (typeof message === "string") {
    expect(error).toBe(message);
  } else {
    expect(error).toMatch(message);
  }
}

describe("where the stack files are", () => {
  test("stackConfigDir: config reads config/Pulumi.dev.yaml", async () => {
    const { result, report } = await previewJson([project("stack-config-dir")]);
    expect(result.status).toBe(0);
    expect(report.source).toMatchObject({ stack: "dev" });
    expect(trailInputs(report)?.isMultiRegionTrail).toBe(true);
  });

  test("the older config: <dir> form is stackConfigDir", async () => {
    const { result, report } = await previewJson([project("legacy-config-dir")]);
    expect(result.status).toBe(0);
    expect(trailInputs(report)?.isMultiRegionTrail).toBe(true);
  });

  test("config: <dir> and stackConfigDir together are the CLI's error", async () => {
    expectError(
      await preview([project("both-config-dirs")]),
      `${project("both-config-dirs")}/Pulumi.yaml: Should not use both config and stackConfigDir to define the stack directory. ` +
        "Use only stackConfigDir instead.",
    );
  });
});

describe("which stack", () => {
  test("--stack ci without Pulumi.ci.yaml runs stack ci with empty config, and says so", async () => {
    const { result, report } = await previewJson(["--stack", "ci", project("stack-config-dir")]);
    expect(result.status).toBe(1);
    expect(report.source).toMatchObject({ stack: "ci" });
    expect(trailInputs(report)?.isMultiRegionTrail).toBe(false);
    expect(result.stderr).toBe("warning: stack ci has no Pulumi.ci.yaml: it runs with no stack config (stack files: dev)\n");
  });

  test("several stack files and no --stack stop with the list and how to choose", async () => {
    expectError(
      await preview([project("typed-config")]),
      `no stack selected; specify a stack name with --stack (or PULUMI_STACK): ${project("typed-config")} has stack files for ` +
        "missing, mistyped, plaintext, valid",
    );
  });

  test("PULUMI_STACK selects the stack, as for the CLI", async () => {
    const { result, report } = await previewJson([project("typed-config")], { PULUMI_STACK: "valid" });
    expect(result.status).toBe(0);
    expect(report.source).toMatchObject({ stack: "valid" });
  });
});

describe("Pulumi.yaml's config declarations, checked against the stack before the program runs", () => {
  test.each([
    ["missing", "validating stack config: Stack 'missing' is missing configuration values 'apiToken' and 'bucketName'"],
    ["plaintext", "validating stack config: Stack 'plaintext' with configuration key 'apiToken' must be encrypted as it's secret"],
    ["mistyped", "validating stack config: Stack 'mistyped' with configuration key 'multiRegion' must be of type 'boolean'"],
  ])("stack %s is the CLI's error", async (stack, message) => {
    expectError(await preview(["--stack", stack, project("typed-config")]), message);
  });

  test("a stack that meets them runs; its secure value is named first", async () => {
    const { result } = await previewJson(["--stack", "valid", project("typed-config")]);
    expect(result.status).toBe(0);
    expect(result.stderr).toBe(
      "warning: Pulumi.valid.yaml has secure values the offline preview cannot decrypt without the stack's secrets provider: " +
        'typed-config:apiToken; the program reads each as "[secret]" (give their plaintext with --secret-config <file>)\n',
    );
  });

  test("a default that is not of its declared type is the CLI's error", async () => {
    expectError(
      await preview([project("bad-default")]),
      `${project("bad-default")}/Pulumi.yaml: The default value specified for configuration key 'retentionDays' is not of the expected type 'integer'`,
    );
  });
});

describe("how the program is started", () => {
  test("runtime.options.nodeargs reach the program's node: --require ./preload.js and a quoted --title", async () => {
    const { result, report } = await previewJson([project("nodeargs")]);
    expect(result.status).toBe(0);
    expect(trailInputs(report)?.isMultiRegionTrail).toBe(true);
  });

  test("nodeargs with an unclosed quote are refused as the language host refuses them", async () => {
    expectError(await preview([project("bad-nodeargs")]), "runtime.options.nodeargs: EOF found when expecting closing quote");
  });

  test("main: src/ runs the program with src/ as its working directory", async () => {
    const { result, report } = await previewJson([project("main-dir")]);
    expect(result.status).toBe(0);
    expect(trailInputs(report)?.isMultiRegionTrail).toBe(true);
  });

  test("an ES module with a default export and named exports is the SDK's error", async () => {
    expectError(
      await preview([project("esm-default-and-named")]),
      "the program failed: expected entrypoint module to have either a default export or named exports but not both",
    );
  });
});

describe("secure values, which offline cannot decrypt", () => {
  test("are named before the program runs, and a program that fails on one is told why", async () => {
    const result = await preview([project("secure-config")]);
    expectError(
      result,
      "the program failed: Configuration 'secure-config:multiRegion' value '[secret]' is not a valid boolean (index.js:5:46); " +
        'offline, the program read the secure config secure-config:multiRegion as "[secret]" (the secrets provider is not at hand ' +
        "to decrypt it): give the plaintext with --secret-config <file>",
    );
    expect(result.stderr.split("\n")[0]).toBe(
      "warning: Pulumi.dev.yaml has secure values the offline preview cannot decrypt without the stack's secrets provider: " +
        'secure-config:multiRegion; the program reads each as "[secret]" (give their plaintext with --secret-config <file>)',
    );
  });

  test("--secret-config gives their plaintext, and the program reads it as a secret", async () => {
    const { result, report } = await previewJson(["--secret-config", path.join(project("secure-config"), "plaintext.yaml"), project("secure-config")]);
    expect(result.status).toBe(0);
    expect(result.stderr).toBe("");
    // A secret in the report, as every secret is.
    expect(trailInputs(report)?.isMultiRegionTrail).toBe("[secret]");
    expect(report.diagnostics.filter((d) => d.enforcementLevel === "mandatory")).toEqual([]);
  });

  test("--secret-config naming a value the stack does not encrypt is an error", async () => {
    const file = path.join(project("secure-config"), "not-secure.yaml");
    expectError(
      await preview(["--secret-config", file, project("secure-config")]),
      `--secret-config ${file}: secure-config:region is not a secure value of stack dev (its secure values: secure-config:multiRegion)`,
    );
  });
});
