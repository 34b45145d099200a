// The preview command (npm run preview): Pulumi programs run under mocks, and stack exports, sent
// through a policy pack over the Analyzer protocol. The CLI runs as users run it, from bin/.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

import { PolicyPackClient, startPolicyPack } from "../tools/analyzer/client";
import { Diagnostic, ResourceToAnalyze, SECRET_SIG, SIG_KEY, UNKNOWN } from "../tools/analyzer/types";
import { parseArgs, progressReporter } from "../tools/preview/main";
import { answerInvoke, renderPolicyDocument } from "../tools/preview/mocks";
import { loadProject } from "../tools/preview/project";
import { ProgramRun, runProgram } from "../tools/preview/program";
import { PreviewReport } from "../tools/preview/report";
import { PreviewResource, rootStackUrn, toAnalyzerResource } from "../tools/preview/resources";
import { parseStateExport, readStateExport } from "../tools/preview/state";
import { CliResult, preview } from "./run-cli";

const ROOT = path.join(__dirname, "..");
const MAIN = path.join(ROOT, "bin", "tools", "preview", "main.js");
const PROGRAMS = path.join(__dirname, "fixtures", "programs");
const STATES = path.join(__dirname, "fixtures", "states");
const ECHO_PACK = path.join(__dirname, "fixtures", "echo-pack");
const BARE_PACK = path.join(__dirname, "fixtures", "bare-pack");

const STACK_POLICY = "aws-cloudtrail-stack-has-cis-trail";

// Lookups answer for the stack's configured region, else AWS_REGION: keep the runner's out of it.
delete process.env.AWS_REGION;
delete process.env.AWS_DEFAULT_REGION;
const program = (name: string) => path.join(PROGRAMS, name);
const state = (name: string) => path.join(STATES, `${name}.json`);

// A preview is a pure function of its arguments and inputs: tests that need the same one share it.
const jsonRuns = new Map<string, Promise<{ result: CliResult; report: PreviewReport }>>();
function previewJson(args: string[]): Promise<{ result: CliResult; report: PreviewReport }> {
  const key = JSON.stringify(args);
  let run = jsonRuns.get(key);
  if (!run) {
    run = preview(["--json", ...args]).then((result) => {
      if (result.status !== 0 && result.status !== 1) {
        throw new Error(`preview ${args.join(" ")} exited ${result.status}: ${result.stderr}`);
      }
      return { result, report: JSON.parse(result.stdout) as PreviewReport };
    });
    jsonRuns.set(key, run);
  }
  return run;
}

const programRuns = new Map<string, Promise<ProgramRun>>();
function runFixture(name: string, stack?: string): Promise<ProgramRun> {
  const key = `${name}@${stack ?? ""}`;
  let run = programRuns.get(key);
  if (!run) {
    run = runProgram(program(name), { stack, onOutput: () => undefined });
    programRuns.set(key, run);
  }
  return run;
}

/** policy | level | urn, the part of a verdict that must not depend on how resources reach the pack. */
const verdict = (diags: Pick<Diagnostic, "policyName" | "enforcementLevel" | "urn">[]) =>
  diags.map((d) => `${d.policyName} | ${d.enforcementLevel} | ${d.urn}`).sort();

/** Sends resources straight through the harness, attributing diagnostics as the engine does. */
async function direct(
  client: PolicyPackClient,
  resources: PreviewResource[],
  ctx: { stack: string; project: string },
): Promise<string[]> {
  await client.configureStack({ stack: ctx.stack, project: ctx.project, organization: "organization", tags: {} });
  await client.configure({});
  const diags: Diagnostic[] = [];
  const level = (d: Diagnostic) => (d.enforcementLevel === "remediate" ? "mandatory" : d.enforcementLevel);
  for (const r of resources.filter((x) => x.analyze)) {
    const res = await client.analyze(toAnalyzerResource(r, "inputs"));
    diags.push(...res.diagnostics.map((d) => ({ ...d, urn: r.urn, enforcementLevel: level(d) })));
  }
  const urns = new Set(resources.map((r) => r.urn));
  const stack = await client.analyzeStack(resources.map((r) => toAnalyzerResource(r, "outputs")));
  diags.push(
    ...stack.diagnostics.map((d) => ({
      ...d,
      urn: urns.has(d.urn) ? d.urn : rootStackUrn(ctx.stack, ctx.project),
      enforcementLevel: level(d),
    })),
  );
  return verdict(diags);
}

function expectOneLineError(result: CliResult, pattern: RegExp): void {
  expect(result.status).toBe(2);
  expect(result.stdout).toBe("");
  const lines = result.stderr.split("\n").filter((l) => l !== "");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^error: /);
  expect(lines[0]).toMatch(pattern);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

const tmpDirs: string[] = [];
function tmpDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "preview-test-"));
  tmpDirs.push(dir);
  return dir;
}

function writeFiles(dir: string, files: Record<string, string>): string {
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

beforeAll(() => {
  // `npm run preview` builds when a source is newer than the last build; so does this.
  spawnSync(process.execPath, [path.join(ROOT, "tools", "preview", "launch.js"), "--help"], { cwd: ROOT, stdio: "ignore" });
  expect(fs.existsSync(MAIN)).toBe(true);
  expect(fs.existsSync(path.join(ROOT, "bin", "index.js"))).toBe(true);
}, 120_000);

afterAll(() => {
  for (const dir of tmpDirs) {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

describe("preview of a program through the pack", () => {
  test("a compliant program passes: the policy section, a summary line, exit 0", async () => {
    const result = await preview([program("compliant-ts")]);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const version = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).version;
    expect(result.stdout).toContain(`cis-cloudtrail@v${version}`);
    expect(result.stdout).not.toContain("[mandatory]");
    expect(result.stdout).toMatch(/^Policies: 0 mandatory violations, \d+ advisory, 5 resources analyzed$/m);
  });

  test("a single-region, read-only trail fails the stack policy: [mandatory] on the trail, exit 1", async () => {
    const result = await preview([program("noncompliant-ts")]);
    expect(result.status).toBe(1);
    const section = result.stdout.slice(result.stdout.indexOf(`- [mandatory]  ${STACK_POLICY}`) - 8);
    expect(section).toMatch(new RegExp(`^\\s+- \\[mandatory\\]  ${STACK_POLICY}\\n\\s+aws:cloudtrail/trail:Trail::readonly\\n\\s+CIS`));
    expect(section).toContain("single-region and records only read management events");
    expect(result.stdout).toMatch(/^Policies: 1 mandatory violation, \d+ advisory, 4 resources analyzed$/m);
  });

  test("a stack with no trail at all gets the mandatory stack violation, on the stack", async () => {
    const { result, report } = await previewJson([program("no-trail-ts")]);
    expect(result.status).toBe(1);
    const stackDiags = report.diagnostics.filter((d) => d.policyName === STACK_POLICY);
    expect(stackDiags).toHaveLength(1);
    expect(stackDiags[0]).toMatchObject({
      enforcementLevel: "mandatory",
      stage: "stack",
      urn: "urn:pulumi:dev::no-trail::pulumi:pulumi:Stack::no-trail-dev",
    });
  });

  test("stack config decides: --stack dev (multi-region) passes, --stack prod (single-region) fails", async () => {
    const dev = await previewJson(["--stack", "dev", program("features-ts")]);
    expect(dev.result.status).toBe(0);
    expect(dev.report.source).toMatchObject({ kind: "program", project: "features-program", stack: "dev" });
    const prod = await previewJson(["--stack", "prod", program("features-ts")]);
    expect(prod.result.status).toBe(1);
    expect(prod.report.diagnostics).toContainEqual(
      expect.objectContaining({
        policyName: STACK_POLICY,
        enforcementLevel: "mandatory",
        urn: "urn:pulumi:prod::features-program::audit:index:AuditTrail$aws:cloudtrail/trail:Trail::audit",
      }),
    );
  });

  test("a JavaScript program whose package.json names its entry point, exporting a function", async () => {
    const { result, report } = await previewJson([program("js-program")]);
    expect(result.status).toBe(0);
    const stack = report.resources.find((r) => r.type === "pulumi:pulumi:Stack");
    expect(stack?.outputs.zones).toEqual(["us-east-1a", "us-east-1b", "us-east-1c"]);
    expect(JSON.parse(stack?.outputs.policy as string)).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "ReadAcl",
          Effect: "Allow",
          Action: "s3:GetBucketAcl",
          Resource: "arn:aws:s3:::logs",
          Principal: { Service: "cloudtrail.amazonaws.com" },
        },
      ],
    });
    // An interpolation over an unknown output is unknown.
    expect(stack?.outputs.trailLabel).toBe(UNKNOWN);
  });

  test("a JavaScript ES module with top-level await", async () => {
    const { result, report } = await previewJson([program("esm-js")]);
    expect(result.status).toBe(0);
    expect(report.resources.map((r) => r.type)).toEqual([
      "pulumi:pulumi:Stack",
      "pulumi:providers:aws",
      "aws:s3/bucket:Bucket",
      "aws:cloudtrail/trail:Trail",
    ]);
    expect(report.resources[0].outputs).toEqual({ stackRegion: "us-east-1", trailArn: UNKNOWN });
  });

  test("--json prints the keys --help lists: source, policy pack, resources, diagnostics, summary...", async () => {
    const { report } = await previewJson([program("noncompliant-ts")]);
    const help = await preview(["--help"]);
    const listed = /--json +Print a JSON object \(([^)]*)\)/.exec(help.stdout.replace(/\n +/g, " "))?.[1].split(", ");
    expect(Object.keys(report)).toEqual(listed);
    expect(listed).toEqual(["source", "policyPack", "policies", "resources", "diagnostics", "remediations", "summary", "warnings"]);
    expect(report.policyPack).toMatchObject({ name: "cis-cloudtrail", dir: ROOT });
    expect(report.summary).toMatchObject({ mandatory: 1, resourcesAnalyzed: 4 });
    expect(report.resources.map((r) => r.urn)).toEqual([
      "urn:pulumi:dev::noncompliant-trail::pulumi:pulumi:Stack::noncompliant-trail-dev",
      "urn:pulumi:dev::noncompliant-trail::pulumi:providers:aws::default_7_48_0",
      "urn:pulumi:dev::noncompliant-trail::aws:s3/bucket:Bucket::trail-logs",
      "urn:pulumi:dev::noncompliant-trail::aws:cloudtrail/trail:Trail::readonly",
    ]);
    for (const d of report.diagnostics) {
      expect(d).toMatchObject({ policyPackName: "cis-cloudtrail", urn: expect.stringMatching(/^urn:pulumi:/) });
      expect(["resource", "stack"]).toContain(d.stage);
    }
  });

  test("a --policy-pack-config file changes levels as the CLI flag does", async () => {
    const dir = tmpDir();
    const config = path.join(dir, "config.json");
    fs.writeFileSync(config, JSON.stringify({ [STACK_POLICY]: "advisory", "aws-cloudtrail-trail-kms-encryption": { enforcementLevel: "disabled" } }));
    const { result, report } = await previewJson(["--policy-pack-config", config, program("noncompliant-ts")]);
    expect(result.status).toBe(0);
    expect(report.diagnostics.filter((d) => d.policyName === STACK_POLICY).map((d) => d.enforcementLevel)).toEqual(["advisory"]);
    expect(report.diagnostics.map((d) => d.policyName)).not.toContain("aws-cloudtrail-trail-kms-encryption");

    fs.writeFileSync(config, JSON.stringify({ all: "mandatory" }));
    const all = await previewJson(["--policy-pack-config", config, program("compliant-ts")]);
    expect(all.result.status).toBe(1);
    expect(all.report.diagnostics.every((d) => d.enforcementLevel === "mandatory")).toBe(true);
  });
});

describe("stack tags", () => {
  test("the pack sees --stack-tag tags over the CLI's own project tags", async () => {
    const { report } = await previewJson(["--policy-pack", ECHO_PACK, "--stack-tag", "team=security", program("compliant-ts")]);
    const echo = report.diagnostics.find((d) => d.policyName === "echo-resource" && d.urn.includes("pulumi:pulumi:Stack")) as Diagnostic;
    expect(JSON.parse(echo.message.slice(echo.message.indexOf("{"))).tags).toEqual({
      "pulumi:project": "compliant-trail",
      "pulumi:runtime": "nodejs",
      "pulumi:description": "A CIS-compliant CloudTrail trail and its log bucket.",
      team: "security",
    });
  });

  test("with scope tagged-stacks, only a stack tagged as the trail's owner must have one", async () => {
    const file = path.join(tmpDir(), "tagged.json");
    fs.writeFileSync(file, JSON.stringify({ [STACK_POLICY]: { scope: "tagged-stacks" } }));
    const untagged = await preview(["--policy-pack-config", file, program("no-trail-ts")]);
    expect(untagged.status).toBe(0);
    const owner = await preview(["--policy-pack-config", file, "--stack-tag", "cis-cloudtrail-owner=true", program("no-trail-ts")]);
    expect(owner.status).toBe(1);
    expect(owner.stdout).toContain(`- [mandatory]  ${STACK_POLICY}`);
  });
});

describe("remediation", () => {
  test("a remediating policy fixes the previewed inputs before Analyze and AnalyzeStack, as in a preview", async () => {
    const file = path.join(tmpDir(), "remediate.json");
    fs.writeFileSync(file, JSON.stringify({ "aws-cloudtrail-trail-meets-cis": "remediate" }));
    const result = await preview(["--policy-pack-config", file, program("noncompliant-ts")]);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(
      /^ {4}- \[remediate\]  aws-cloudtrail-trail-meets-cis  aws:cloudtrail\/trail:Trail::readonly  \(applied: eventSelectors, isMultiRegionTrail\)$/m,
    );
    expect(result.stdout).toMatch(/^Policies: 0 mandatory violations, \d+ advisory, 1 remediation, 4 resources analyzed$/m);
  });

  test("an audit of deployed state reports the remediation without applying it", async () => {
    const file = path.join(tmpDir(), "remediate.json");
    fs.writeFileSync(file, JSON.stringify({ "aws-cloudtrail-trail-meets-cis": "remediate" }));
    const { result, report } = await previewJson(["--policy-pack-config", file, "--state", state("noncompliant")]);
    expect(result.status).toBe(1);
    expect(report.remediations).toEqual([
      expect.objectContaining({ policyName: "aws-cloudtrail-trail-meets-cis", applied: false, changed: ["eventSelectors", "isMultiRegionTrail"] }),
    ]);
    expect(report.diagnostics).toContainEqual(expect.objectContaining({ policyName: STACK_POLICY, enforcementLevel: "mandatory" }));
  });
});

describe("the verdict is the pack's own", () => {
  let client: PolicyPackClient;
  beforeAll(async () => {
    client = await startPolicyPack(ROOT);
  });
  afterAll(async () => {
    await client?.close();
  });

  test.each([
    ["compliant-ts", []],
    ["noncompliant-ts", []],
    ["no-trail-ts", []],
    ["features-ts", ["--stack", "dev"]],
    ["features-ts", ["--stack", "prod"]],
    ["js-program", []],
    ["esm-js", []],
    ["advanced-ts", []],
  ])("%s %p: preview reports what the harness gets for the same resources", async (name, flags) => {
    const [{ report }, run] = await Promise.all([previewJson([...flags, program(name)]), runFixture(name, flags[1])]);
    // Two runs of one program may register resources created on later turns in another order.
    expect(run.resources.map((r) => r.urn).sort()).toEqual(report.resources.map((r) => r.urn).sort());
    const expected = await direct(client, run.resources, { stack: run.project.stack, project: run.project.name });
    expect(verdict(report.diagnostics)).toEqual(expected);
    expect(expected.length).toBeGreaterThan(0);
  });

  test.each(["compliant", "noncompliant"])("state export %s: preview reports what the harness gets", async (name) => {
    const { report } = await previewJson(["--state", state(name)]);
    const exported = readStateExport(state(name));
    const expected = await direct(client, exported.resources, exported);
    expect(verdict(report.diagnostics)).toEqual(expected);
  });
});

describe("what a program run under mocks hands to the pack", () => {
  let features: PreviewResource[];
  let byUrn: Map<string, PreviewResource>;
  const P = "urn:pulumi:dev::features-program::";
  const COMPONENT = `${P}audit:index:AuditTrail::audit`;
  const TRAIL = `${P}audit:index:AuditTrail$aws:cloudtrail/trail:Trail::audit`;

  beforeAll(async () => {
    features = (await runFixture("features-ts", "dev")).resources;
    byUrn = new Map(features.map((r) => [r.urn, r]));
  });

  test("URNs, types and names as the engine makes them, children of a component qualified by its type", () => {
    expect(features.map((r) => r.urn).sort()).toEqual(
      [
        `${P}pulumi:pulumi:Stack::features-program-dev`,
        `${P}pulumi:providers:aws::us-east-1`,
        COMPONENT,
        `${P}audit:index:AuditTrail$aws:s3/bucket:Bucket::audit-logs`,
        `${P}audit:index:AuditTrail$aws:s3/bucketPolicy:BucketPolicy::audit-logs`,
        TRAIL,
        `${P}pulumi:providers:aws::default_7_48_0`,
        `${P}aws:sns/topic:Topic::alerts`,
        `${P}aws:sns/topicSubscription:TopicSubscription::alerts-email`,
      ].sort(),
    );
    // The stack comes first; a default provider comes just before the first resource that uses it.
    expect(features[0].type).toBe("pulumi:pulumi:Stack");
    const firstDefaultUser = features.findIndex((r) => r.provider?.name === "default_7_48_0");
    expect(features[firstDefaultUser - 1].urn).toBe(`${P}pulumi:providers:aws::default_7_48_0`);
    expect(byUrn.get(TRAIL)).toMatchObject({ type: "aws:cloudtrail/trail:Trail", name: "audit", custom: true, analyze: true });
  });

  test("parents, dependsOn and property dependencies", () => {
    const trail = byUrn.get(TRAIL) as PreviewResource;
    expect(trail.parent).toBe(COMPONENT);
    expect(byUrn.get(COMPONENT)?.parent).toBe(`${P}pulumi:pulumi:Stack::features-program-dev`);
    expect(trail.dependencies).toEqual(
      expect.arrayContaining([
        `${P}audit:index:AuditTrail$aws:s3/bucketPolicy:BucketPolicy::audit-logs`,
        `${P}audit:index:AuditTrail$aws:s3/bucket:Bucket::audit-logs`,
      ]),
    );
    expect(trail.propertyDependencies.s3BucketName).toEqual([`${P}audit:index:AuditTrail$aws:s3/bucket:Bucket::audit-logs`]);
  });

  test("an explicit provider with a region for the component's children, the default provider for the rest", () => {
    expect(byUrn.get(TRAIL)?.provider).toEqual({
      type: "pulumi:providers:aws",
      name: "us-east-1",
      urn: `${P}pulumi:providers:aws::us-east-1`,
      properties: expect.objectContaining({ region: "us-east-1" }),
    });
    expect(byUrn.get(`${P}aws:sns/topic:Topic::alerts`)?.provider).toEqual({
      type: "pulumi:providers:aws",
      name: "default_7_48_0",
      urn: `${P}pulumi:providers:aws::default_7_48_0`,
      properties: { region: "eu-west-1", version: "7.48.0" },
    });
  });

  test("stack config (plain, structured, project default and secure) reaches the program", () => {
    const trail = byUrn.get(TRAIL) as PreviewResource;
    expect(trail.inputs).toMatchObject({
      isMultiRegionTrail: true,
      name: "audit-trail",
      tags: { team: "security", costCenter: "1234" },
    });
    const sub = byUrn.get(`${P}aws:sns/topicSubscription:TopicSubscription::alerts-email`) as PreviewResource;
    expect(sub.inputs.endpoint).toEqual({ [SIG_KEY]: SECRET_SIG, value: "[secret]" });
  });

  test("unknowns: computed outputs, and apply / interpolate over them", () => {
    const trail = byUrn.get(TRAIL) as PreviewResource;
    // Inputs from other resources' computed outputs.
    expect(trail.inputs.s3BucketName).toBe(UNKNOWN);
    expect(trail.inputs.s3KeyPrefix).toBe(UNKNOWN);
    expect(byUrn.get(`${P}audit:index:AuditTrail$aws:s3/bucketPolicy:BucketPolicy::audit-logs`)?.inputs.policy).toBe(UNKNOWN);
    // Planned outputs: the checked inputs, plus unknown for what the provider computes.
    expect(trail.outputs).toMatchObject({
      isMultiRegionTrail: true, arn: UNKNOWN, homeRegion: UNKNOWN, tagsAll: UNKNOWN, region: UNKNOWN, id: UNKNOWN,
    });
    // The bridge's Check fills the Terraform schema's defaults into the inputs.
    expect(trail.inputs).toMatchObject({ enableLogging: true, includeGlobalServiceEvents: true, isOrganizationTrail: false });
    expect(trail.outputs).toMatchObject({ enableLogging: true });
  });

  test("invokes answer like AWS for the stack's region or the explicit provider's", () => {
    const stack = features[0];
    expect(stack.outputs).toMatchObject({
      accountId: "123456789012",
      stackRegion: "eu-west-1",
      trailRegion: "us-east-1",
      trailArn: UNKNOWN,
    });
    expect(byUrn.get(COMPONENT)?.outputs).toEqual({ trailArn: UNKNOWN, bucketName: UNKNOWN });
  });

  test("transforms, a stack reference, a resource read by id and one declared on a later turn", async () => {
    const run = await runFixture("advanced-ts");
    const r = new Map(run.resources.map((x) => [x.type + "::" + x.name, x]));
    const trail = r.get("aws:cloudtrail/trail:Trail::org") as PreviewResource;
    expect(trail.inputs).toMatchObject({ isMultiRegionTrail: true, enableLogFileValidation: true, kmsKeyId: UNKNOWN });
    const ref = r.get("pulumi:pulumi:StackReference::org/network/prod") as PreviewResource;
    expect(ref).toMatchObject({ analyze: false, outputs: { outputs: UNKNOWN } });
    const existing = r.get("aws:s3/bucket:Bucket::existing") as PreviewResource;
    expect(existing).toMatchObject({ analyze: false, outputs: { id: "audit-logs-existing", bucket: UNKNOWN, arn: UNKNOWN } });
    expect(r.has("aws:s3/bucket:Bucket::declared-later")).toBe(true);
  });

  test("a program with its own @pulumi/pulumi is mocked through that copy", async () => {
    const dir = tmpDir();
    const sdk = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
    fs.cpSync(sdk, path.join(dir, "node_modules", "@pulumi", "pulumi"), {
      recursive: true,
      filter: (src) => !src.includes(`${path.sep}vendor`),
    });
    writeFiles(dir, {
      "Pulumi.yaml": "name: own-sdk\nruntime:\n  name: nodejs\n  options:\n    typescript: false\n",
      "index.js": [
        'const pulumi = require("@pulumi/pulumi");',
        'new pulumi.CustomResource("aws:cloudtrail/trail:Trail", "t", { isMultiRegionTrail: true, s3BucketName: "logs" });',
        'exports.sdk = require.resolve("@pulumi/pulumi");',
      ].join("\n"),
    });
    const saved = process.env.NODE_PATH;
    // The copy's own dependencies (grpc, protobuf, ...) resolve from the repository.
    process.env.NODE_PATH = path.join(ROOT, "node_modules");
    try {
      const run = await runProgram(dir, { onOutput: () => undefined });
      expect(run.resources[0].outputs.sdk).toBe(path.join(fs.realpathSync(dir), "node_modules", "@pulumi", "pulumi", "index.js"));
      expect(run.resources.map((x) => x.urn)).toContain("urn:pulumi:dev::own-sdk::aws:cloudtrail/trail:Trail::t");
    } finally {
      process.env.NODE_PATH = saved;
      if (saved === undefined) delete process.env.NODE_PATH;
    }
  });
});

describe("what reaches a pack, as the pack sees it", () => {
  test("the echo pack sees parents, dependencies and property dependencies in AnalyzeStack", async () => {
    const { report } = await previewJson(["--policy-pack", ECHO_PACK, "--stack", "dev", program("features-ts")]);
    const echoStack = report.diagnostics.find((d) => d.policyName === "echo-stack") as Diagnostic;
    const seen = JSON.parse(echoStack.message.slice(echoStack.message.indexOf("["))) as {
      urn: string;
      parent?: string;
      dependencies: string[];
      propertyDependencies: Record<string, string[]>;
    }[];
    const trail = seen.find((s) => s.urn.endsWith("aws:cloudtrail/trail:Trail::audit"));
    expect(trail?.parent).toBe("urn:pulumi:dev::features-program::audit:index:AuditTrail::audit");
    expect(trail?.dependencies).toContain(
      "urn:pulumi:dev::features-program::audit:index:AuditTrail$aws:s3/bucketPolicy:BucketPolicy::audit-logs",
    );
    expect(Object.keys(trail?.propertyDependencies ?? {})).toEqual(["s3BucketName", "s3KeyPrefix"]);
    expect(seen).toHaveLength(report.resources.length);
  });

  test("the echo pack sees a resource's inputs and its provider; unknown inputs make it advisory", async () => {
    const { report } = await previewJson(["--policy-pack", ECHO_PACK, "--stack", "dev", program("features-ts")]);
    const echo = (urnEnd: string) =>
      report.diagnostics.find((d) => d.policyName === "echo-resource" && d.urn.endsWith(urnEnd)) as Diagnostic;
    const topic = echo("aws:sns/topic:Topic::alerts");
    expect(topic.enforcementLevel).toBe("mandatory");
    const seen = JSON.parse(topic.message.slice(topic.message.indexOf("{")));
    expect(seen.props.tags).toEqual({ account: "123456789012", contact: "[secret]" });
    expect(seen.provider).toMatchObject({ type: "pulumi:providers:aws", props: { region: "eu-west-1" } });
    // The trail's bucket name is unknown: the policy cannot run, and says so.
    const trail = echo("aws:cloudtrail/trail:Trail::audit");
    expect(trail.enforcementLevel).toBe("advisory");
    expect(trail.message).toMatch(/can't be known during preview/);
  });

  test("a pack that accepts everything: no violations, exit 0", async () => {
    const result = await preview(["--policy-pack", BARE_PACK, program("noncompliant-ts")]);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("bare-pack@v");
    expect(result.stdout).toContain("no violations");
    expect(result.stdout).toMatch(/^Policies: 0 mandatory violations, 0 advisory, 4 resources analyzed$/m);
  });
});

describe("audit of a stack export (--state)", () => {
  test("a compliant deployed stack passes; every live resource is analyzed, the stack and provider included", async () => {
    const { result, report } = await previewJson(["--state", state("compliant")]);
    expect(result.status).toBe(0);
    expect(report.source).toMatchObject({ kind: "state", project: "audit", stack: "prod" });
    expect(report.summary).toMatchObject({ mandatory: 0, resourcesAnalyzed: 5 });
  });

  test("a non-compliant deployed stack fails: the trail pending deletion does not count", async () => {
    const result = await preview(["--state", state("noncompliant")]);
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(new RegExp(`- \\[mandatory\\]  ${STACK_POLICY}\\n\\s+aws:cloudtrail/trail:Trail::main\\n`));
    expect(result.stdout).toMatch(/^Policies: 1 mandatory violation, \d+ advisory, 4 resources analyzed$/m);
  });

  test("recorded inputs and outputs as the engine sends them: internal keys dropped, secrets kept", () => {
    const compliant = readStateExport(state("compliant"));
    const bucket = compliant.resources.find((r) => r.type === "aws:s3/bucket:Bucket") as PreviewResource;
    expect(bucket.inputs).not.toHaveProperty("__defaults");
    expect(bucket.outputs).not.toHaveProperty("__meta");
    expect(bucket.provider).toMatchObject({ urn: "urn:pulumi:prod::audit::pulumi:providers:aws::default_7_48_0", properties: { region: "us-east-1" } });
    const sub = compliant.resources.find((r) => r.type === "aws:sns/topicSubscription:TopicSubscription") as PreviewResource;
    // Encrypted: the value cannot be read here, so it is an unknown secret.
    expect(sub.inputs.endpoint).toEqual({ [SIG_KEY]: SECRET_SIG, value: UNKNOWN });
    const staging = readStateExport(state("noncompliant"));
    const trail = staging.resources.find((r) => r.type === "aws:cloudtrail/trail:Trail") as PreviewResource;
    expect(staging.resources.filter((r) => r.type === "aws:cloudtrail/trail:Trail")).toHaveLength(1);
    // Exported with --show-secrets: the plaintext value.
    expect(trail.inputs.tags).toEqual({ [SIG_KEY]: SECRET_SIG, value: { owner: "security@example.com" } });
    expect(trail.outputs).toMatchObject({ isMultiRegionTrail: false, homeRegion: "eu-west-1" });
  });

  test("a backend checkpoint file reads like an export", () => {
    const exported = JSON.parse(fs.readFileSync(state("compliant"), "utf8"));
    const checkpoint = { version: 3, checkpoint: { stack: "acme/audit/prod", latest: exported.deployment } };
    const parsed = parseStateExport(JSON.stringify(checkpoint), "checkpoint.json");
    expect(parsed).toMatchObject({ stack: "prod", project: "audit", organization: "acme" });
    expect(parsed.resources).toHaveLength(5);
  });
});

describe("bad input: one line on stderr, exit 2", () => {
  test("a missing directory", async () => {
    expectOneLineError(await preview([path.join(PROGRAMS, "does-not-exist")]), /no such directory: .*does-not-exist$/);
  });

  test("a directory that is not a Pulumi program", async () => {
    expectOneLineError(await preview([STATES]), /not a Pulumi program: .* has no Pulumi\.yaml$/);
  });

  test("a Pulumi program in another language", async () => {
    const dir = writeFiles(tmpDir(), { "Pulumi.yaml": "name: py\nruntime: python\n", "__main__.py": "" });
    expectOneLineError(await preview([dir]), /not a Node\.js Pulumi program: Pulumi\.yaml says runtime "python"$/);
  });

  test("a program that throws: its message and where, without a stack trace", async () => {
    expectOneLineError(
      await preview([program("throws-ts")]),
      /^error: the program failed: trail bucket name is not configured \(index\.ts:6:9\)$/,
    );
  });

  test("a program that ends its own process", async () => {
    expectOneLineError(await preview([program("exits-js")]), /the program called process\.exit\(3\) before it finished/);
  });

  test("a program that does not compile", async () => {
    const dir = writeFiles(tmpDir(), { "Pulumi.yaml": "name: broken\nruntime: nodejs\n", "index.ts": "const x = ;\n" });
    expectOneLineError(await preview([dir], { NODE_PATH: path.join(ROOT, "node_modules") }), /the program failed: .*index\.ts:1:11: Expression expected/);
  });

  test("a program whose dependencies are not installed", async () => {
    const dir = writeFiles(tmpDir(), {
      "Pulumi.yaml": "name: deps\nruntime: nodejs\n",
      "index.ts": 'import * as random from "@pulumi/random";\nexport const pet = new random.RandomPet("pet").id;\n',
    });
    expectOneLineError(
      await preview([dir], { NODE_PATH: path.join(ROOT, "node_modules") }),
      /^error: the program failed to load: Cannot find module '@pulumi\/random'$/,
    );
    const bare = writeFiles(tmpDir(), { "Pulumi.yaml": "name: bare\nruntime: nodejs\n", "index.js": "" });
    expectOneLineError(await preview([bare]), /cannot find @pulumi\/pulumi from .*: install the program's dependencies$/);
  });

  test("a program that declares two resources with the same URN", async () => {
    const dir = writeFiles(tmpDir(), {
      "Pulumi.yaml": "name: twice\nruntime: nodejs\n",
      "index.js": 'const pulumi = require("@pulumi/pulumi");\nnew pulumi.CustomResource("aws:s3/bucket:Bucket", "logs", {});\nnew pulumi.CustomResource("aws:s3/bucket:Bucket", "logs", {});\n',
    });
    expectOneLineError(
      await preview([dir], { NODE_PATH: path.join(ROOT, "node_modules") }),
      /duplicate resource URN urn:pulumi:dev::twice::aws:s3\/bucket:Bucket::logs; give the resource a unique name$/,
    );
  });

  test("a malformed export, and JSON that is not an export", async () => {
    expectOneLineError(await preview(["--state", state("malformed")]), /malformed\.json is not valid JSON at byte \d+: /);
    const file = path.join(tmpDir(), "not-an-export.json");
    fs.writeFileSync(file, JSON.stringify({ version: 3, stack: "dev" }));
    expectOneLineError(await preview(["--state", file]), /not-an-export\.json is not a stack export: it has no deployment$/);
    fs.writeFileSync(file, JSON.stringify({ version: 3, deployment: { resources: [{ type: "aws:s3/bucket:Bucket" }] } }));
    expectOneLineError(await preview(["--state", file]), /is malformed: resource 1 has no urn$/);
    expectOneLineError(await preview(["--state", path.join(STATES, "missing.json")]), /no such file: .*missing\.json$/);
  });

  test.each([
    ["not JSON", "{ all: mandatory", /is not valid JSON/],
    ["not an object", "[]", /must be a JSON object of policy names$/],
    ["an unknown level", '{"aws-cloudtrail-stack-has-cis-trail": "fatal"}', /has enforcement level "fatal" \(expected one of advisory, mandatory, remediate, disabled\)$/],
    ["an entry neither level nor object", '{"aws-cloudtrail-stack-has-cis-trail": 3}', /must be an enforcement level or an object$/],
    ["options that break a policy's schema", '{"aws-cloudtrail-stack-has-cis-trail": {"scope": "nowhere"}}', /aws-cloudtrail-stack-has-cis-trail: scope must be one of the following: "every-stack", "stacks-with-trails", "tagged-stacks"$/],
  ])("a policy pack config file: %s", async (_what, text, pattern) => {
    const file = path.join(tmpDir(), "config.json");
    fs.writeFileSync(file, text);
    expectOneLineError(await preview(["--policy-pack-config", file, program("compliant-ts")]), pattern);
  });

  test("a policy pack config with options of the wrong type, and a missing config file", async () => {
    const file = path.join(tmpDir(), "config.json");
    fs.writeFileSync(file, JSON.stringify({ "echo-resource": { limit: "three" } }));
    expectOneLineError(
      await preview(["--policy-pack", ECHO_PACK, "--policy-pack-config", file, program("compliant-ts")]),
      /is invalid: echo-resource: limit: invalid type: expected number, given string$/,
    );
    expectOneLineError(await preview(["--policy-pack-config", path.join(STATES, "none.json"), program("compliant-ts")]), /does not exist$/);
  });

  test("a policy pack config naming a policy the pack lacks is an error: the CLI would ignore it silently", async () => {
    const file = path.join(tmpDir(), "config.json");
    fs.writeFileSync(file, JSON.stringify({ "no-such-policy": "mandatory" }));
    expectOneLineError(
      await preview(["--policy-pack-config", file, program("compliant-ts")]),
      /is invalid: no-such-policy: cis-cloudtrail has no such policy \(its policies: aws-cloudtrail-s3-object-read-events, aws-cloudtrail-s3-object-write-events, aws-cloudtrail-stack-has-cis-trail, /,
    );
  });

  test.each([
    [["--frobnicate", "x"], /unknown option --frobnicate \(see --help\)$/],
    [["--stack"], /--stack needs a value/],
    [[], /no program directory given/],
    [["a", "b"], /one program directory at a time, got 2: a b$/],
    [["--state", "x.json", "dir"], /give a program directory or --state <file>, not both$/],
    [["--timeout", "soon", "dir"], /--timeout needs a number of seconds, got soon$/],
    [["--stack-tag", "owner", "dir"], /--stack-tag needs <name>=<value>, got owner$/],
  ])("arguments %p", async (args, pattern) => {
    expectOneLineError(await preview(args), pattern);
  });

  test("a policy pack directory that is not a pack", async () => {
    expectOneLineError(await preview(["--policy-pack", STATES, program("compliant-ts")]), /not a policy pack: .* has no PulumiPolicy\.yaml$/);
  });

  test("--help prints usage and exits 0", async () => {
    const result = await preview(["--help"]);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^Usage:\n  npm run -s preview -- \[options\] <program dir>/);
    expect(result.stdout).toContain("--policy-pack-config <file>");
  });
});

describe("a pack that cannot start", () => {
  test("its last stderr lines follow the headline, indented and without colour codes; exit 2", async () => {
    const result = await preview(["--policy-pack", path.join(__dirname, "fixtures", "broken-pack"), "--state", state("compliant")]);
    expect(result.status).toBe(2);
    const lines = result.stderr.split("\n").filter((l) => l !== "");
    expect(lines[0]).toMatch(/^error: cannot start the policy pack in .*broken-pack: policy pack .* exited \(code \d+\) before printing its port; its stderr:$/);
    expect(lines.slice(1).join("\n")).toMatch(/^ {2}.*\n[\s\S]*Error: broken-pack cannot load/);
    expect(lines.length).toBeLessThanOrEqual(21);
    expect(lines.slice(1).every((l) => l.startsWith("  "))).toBe(true);
    expect(result.stderr).not.toMatch(/\u001b|\\u001b\[/);
  });
});

describe("progress", () => {
  test("a long program reports progress on stderr, a short one says nothing", async () => {
    const { result, report } = await previewJson([program("many-resources-js")]);
    expect(result.stderr).toBe("Running program... 100 resources registered\n");
    expect(report.resources).toHaveLength(124);
    const short = await preview([program("compliant-ts")]);
    expect(short.stderr).toBe("");
  });

  test("on a terminal the line updates in place and is cleared at the end", () => {
    let written = "";
    const stream = { isTTY: true, write: (s: string) => ((written += s), true) } as unknown as NodeJS.WriteStream;
    const progress = progressReporter(stream);
    progress.update(3);
    progress.done();
    expect(written).toBe("\rRunning program... 3 resources registered\r\x1b[K");
  });
});

describe("library pieces", () => {
  test("parseArgs takes --flag value and --flag=value", () => {
    expect(parseArgs(["--json", "--stack=prod", "--policy-pack", "p", "dir"])).toMatchObject({
      json: true,
      stack: "prod",
      packDir: "p",
      program: "dir",
    });
    expect(parseArgs(["--state", "s.json", "--stack-tag", "a=b=c"])).toEqual({
      state: "s.json",
      json: false,
      help: false,
      transpileOnly: false,
      stackTags: { a: "b=c" },
    });
    expect(parseArgs(["--transpile-only", "dir"])).toMatchObject({ transpileOnly: true, program: "dir" });
    expect(() => parseArgs(["--state", "s.json", "--transpile-only"])).toThrow(/^--transpile-only applies to programs/);
  });

  test("loadProject: stack choice, namespaced and project keys, secure values, Pulumi.yaml defaults", () => {
    const dev = loadProject(program("features-ts"), { stack: "dev" });
    expect(dev).toMatchObject({ name: "features-program", stack: "dev", typescript: true, esm: false });
    expect(dev.config).toEqual({
      "aws:region": "eu-west-1",
      "features-program:trailName": "audit-trail",
      "features-program:multiRegion": "true",
      "features-program:alertEmail": "[secret]",
      "features-program:tags": JSON.stringify({ team: "security", costCenter: "1234" }),
    });
    expect(dev.secretKeys).toEqual(["features-program:alertEmail"]);
    const prod = loadProject(program("features-ts"), { stack: "prod" });
    expect(prod.config["features-program:trailName"]).toBe("prod-trail");
    expect(loadProject(program("js-program")).entry).toBe(path.join(program("js-program"), "src", "main.js"));
    expect(loadProject(program("no-trail-ts")).stack).toBe("dev");
  });

  test("renderPolicyDocument renders statements, principals and conditions like the provider", () => {
    const doc = renderPolicyDocument({
      policyId: "logs",
      statements: [
        { sid: "A", actions: ["s3:PutObject", "s3:GetObject"], resources: ["arn:aws:s3:::b/*"], principals: [{ type: "*", identifiers: ["*"] }] },
        {
          effect: "Deny",
          notActions: ["iam:*"],
          resources: ["*"],
          conditions: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
        },
      ],
      overridePolicyDocuments: [JSON.stringify({ Statement: [{ Sid: "A", Effect: "Deny", Action: "*", Resource: "*" }] })],
    });
    expect(doc).toEqual({
      Version: "2012-10-17",
      Id: "logs",
      Statement: [
        { Sid: "A", Effect: "Deny", Action: "*", Resource: "*" },
        { Effect: "Deny", NotAction: "iam:*", Resource: "*", Condition: { Bool: { "aws:SecureTransport": "false" } } },
      ],
    });
  });

  test("invokes: partition, zones and bucket by region", () => {
    expect(answerInvoke("aws:index/getPartition:getPartition", {}, "cn-north-1")).toMatchObject({
      partition: "aws-cn",
      dnsSuffix: "amazonaws.com.cn",
    });
    expect(answerInvoke("aws:index/getAvailabilityZones:getAvailabilityZones", {}, "ap-southeast-2")).toMatchObject({
      names: ["ap-southeast-2a", "ap-southeast-2b", "ap-southeast-2c"],
      zoneIds: ["apse2-az1", "apse2-az2", "apse2-az3"],
    });
    expect(answerInvoke("aws:s3/getBucket:getBucket", { bucket: "logs" }, "eu-west-1")).toMatchObject({
      arn: "arn:aws:s3:::logs",
      region: "eu-west-1",
      bucketRegionalDomainName: "logs.s3.eu-west-1.amazonaws.com",
    });
    expect(answerInvoke("aws:index/getRegion:getRegion", {}, "eu-west-1")).toMatchObject({ region: "eu-west-1", name: "eu-west-1" });
    expect(answerInvoke("random:index/unknown:call", { a: 1 }, "us-east-1")).toEqual({ a: 1 });
  });

  test("a stack export's resources become Analyzer resources with their provider", () => {
    const exported = readStateExport(state("compliant"));
    const trail = exported.resources.find((r) => r.type === "aws:cloudtrail/trail:Trail") as PreviewResource;
    const asInputs: ResourceToAnalyze = toAnalyzerResource(trail, "inputs");
    expect(asInputs).toMatchObject({ name: "org", properties: { isMultiRegionTrail: true } });
    expect(asInputs).not.toHaveProperty("dependencies");
    expect(toAnalyzerResource(trail, "outputs").dependencies).toEqual(["urn:pulumi:prod::audit::aws:s3/bucket:Bucket::trail-logs"]);
  });
});
