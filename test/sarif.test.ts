// `--sarif FILE`: the preview's violations as SARIF 2.1.0, valid against the OASIS schema, with one
// rule per policy (metadata from the pack's GetAnalyzerInfo) and one result per violation, located
// where the program declares the resource.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { Log } from "sarif";

import { PreviewReport } from "../tools/preview/report";
import { rootStackUrn } from "../tools/preview/resources";
import { preview as runPreview } from "./run-cli";
import { schemaErrors } from "./sarif-schema";

const ROOT = path.join(__dirname, "..");
const PROGRAMS = path.join(__dirname, "fixtures", "programs");

delete process.env.AWS_REGION;
delete process.env.AWS_DEFAULT_REGION;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "sarif-test-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Runs the built CLI from the repository root, as CI does, with --json and --sarif. */
function preview(args: string[]): Promise<{ status: number | null; stderr: string; report?: PreviewReport; sarif?: Log }> {
  const file = path.join(tmp, `${args.join("_").replace(/[^A-Za-z0-9]+/g, "-")}.sarif`);
  return runPreview(["--json", "--sarif", file, ...args]).then(({ status, stdout, stderr }) => {
    const ok = status === 0 || status === 1;
    return {
      status,
      stderr,
      report: ok ? (JSON.parse(stdout) as PreviewReport) : undefined,
      sarif: ok ? (JSON.parse(fs.readFileSync(file, "utf8")) as Log) : undefined,
    };
  });
}

describe("--sarif", () => {
  const noncompliant = preview([path.join(PROGRAMS, "noncompliant-ts")]);

  test("the log is valid SARIF 2.1.0", async () => {
    const { status, sarif } = await noncompliant;
    expect(status).toBe(1);
    expect(schemaErrors(sarif)).toEqual([]);
    expect(sarif?.version).toBe("2.1.0");
  });

  test("the schema check rejects what is not SARIF", async () => {
    const { sarif } = await noncompliant;
    const broken = JSON.parse(JSON.stringify(sarif)) as { runs: { results: { level: string }[] }[] };
    broken.runs[0].results[0].level = "fatal";
    expect(schemaErrors(broken)).toContainEqual(expect.stringMatching(/^\/runs\/0\/results\/0\/level /));
    expect(schemaErrors({ version: "2.1.0" })).toContainEqual(expect.stringMatching(/runs/));
  });

  test("one rule per policy, with the pack's description, severity, CIS reference, help URL and remediation steps", async () => {
    const { report, sarif } = await noncompliant;
    const policies = report!.policies;
    const driver = sarif!.runs[0].tool.driver;
    expect(driver).toMatchObject({ name: "cis-cloudtrail", version: report!.policyPack.version });
    expect(driver.rules!.map((r) => r.id)).toEqual(policies.map((p) => p.name));
    expect(policies).toHaveLength(8);
    for (const [i, p] of policies.entries()) {
      const rule = driver.rules![i];
      expect(rule.shortDescription?.text).toBe(p.description);
      expect(rule.fullDescription?.text).toContain(`${p.framework!.name} v${p.framework!.version}, control ${p.framework!.reference}`);
      expect(rule.helpUri).toBe(p.url);
      expect(rule.help?.text).toContain(p.remediationSteps);
      expect(rule.help?.markdown).toContain(p.remediationSteps);
      expect(rule.properties).toMatchObject({ severity: p.severity, tags: expect.arrayContaining([...p.tags, `CIS-${p.framework!.reference}`]) });
      expect(rule.relationships).toEqual([
        { target: { id: p.framework!.reference, toolComponent: { name: p.framework!.name } }, kinds: ["relevant"] },
      ]);
      expect(rule.defaultConfiguration?.level).toBe(p.enforcementLevel === "mandatory" ? "error" : "warning");
    }
    const stackRule = driver.rules!.find((r) => r.id === "aws-cloudtrail-stack-has-cis-trail");
    expect(stackRule?.properties?.["security-severity"]).toBe("8.0");
    expect(sarif!.runs[0].taxonomies).toEqual([
      expect.objectContaining({ name: "CIS Amazon Web Services Foundations Benchmark", version: "3.0.0" }),
    ]);
  });

  test("one result per violation, at the line that declares the trail, named by its logical name", async () => {
    const { report, sarif } = await noncompliant;
    const results = sarif!.runs[0].results!;
    expect(results).toHaveLength(report!.diagnostics.length);
    expect(results.length).toBeGreaterThanOrEqual(5);
    const trailUrn = report!.resources.find((r) => r.name === "readonly")!.urn;
    for (const [i, d] of report!.diagnostics.entries()) {
      const r = results[i];
      expect(r).toMatchObject({
        ruleId: d.policyName,
        ruleIndex: report!.policies.findIndex((p) => p.name === d.policyName),
        level: d.enforcementLevel === "mandatory" ? "error" : "warning",
        message: { text: d.message },
      });
      expect(d.urn).toBe(trailUrn);
      expect(r.locations).toEqual([{
        // `new aws.cloudtrail.Trail("readonly", ...)` is on line 5 of index.ts, at column 22.
        physicalLocation: {
          artifactLocation: { uri: "test/fixtures/programs/noncompliant-ts/index.ts", uriBaseId: "%SRCROOT%" },
          region: { startLine: 5, startColumn: 22 },
        },
        logicalLocations: [{ name: "readonly", fullyQualifiedName: trailUrn, kind: "resource", decoratedName: "aws:cloudtrail/trail:Trail" }],
      }]);
    }
    expect(results.filter((r) => r.level === "error").map((r) => r.ruleId)).toEqual(["aws-cloudtrail-stack-has-cis-trail"]);
    expect(new Set(results.map((r) => r.partialFingerprints?.["policyAndResource/v1"])).size).toBe(results.length);
    expect(sarif!.runs[0].originalUriBaseIds?.["%SRCROOT%"]?.uri).toBe(`file://${ROOT}/`);
  });

  test("a component is declared where the program calls new, its children inside its constructor", async () => {
    const { report } = await preview(["--stack", "dev", path.join(PROGRAMS, "features-ts")]);
    const at = (type: string, name: string) => report!.resources.find((r) => r.type === type && r.name === name)?.declaredAt;
    expect(at("audit:index:AuditTrail", "audit")).toEqual({ file: "index.ts", line: 20, column: 17 });
    expect(at("aws:s3/bucket:Bucket", "audit-logs")).toEqual({ file: "audit.ts", line: 18, column: 19 });
    expect(at("aws:cloudtrail/trail:Trail", "audit")).toEqual({ file: "audit.ts", line: 36, column: 18 });
    // Made by the engine's rules, not by a line of the program.
    expect(at("pulumi:pulumi:Stack", "features-program-dev")).toBeUndefined();
    expect(at("pulumi:providers:aws", "default_7_48_0")).toBeUndefined();
  });

  test("a stack violation that names no resource is located at the project's Pulumi.yaml", async () => {
    const { status, sarif } = await preview([path.join(PROGRAMS, "no-trail-ts")]);
    expect(status).toBe(1);
    expect(schemaErrors(sarif)).toEqual([]);
    const [result, ...others] = sarif!.runs[0].results!;
    expect(others).toEqual([]);
    expect(result.ruleId).toBe("aws-cloudtrail-stack-has-cis-trail");
    expect(result.message.text).toContain("This stack has no CloudTrail trail");
    expect(result.locations![0].physicalLocation).toEqual({
      artifactLocation: { uri: "test/fixtures/programs/no-trail-ts/Pulumi.yaml", uriBaseId: "%SRCROOT%" },
      region: { startLine: 1 },
    });
    expect(result.locations![0].logicalLocations![0].fullyQualifiedName).toBe(rootStackUrn("dev", "no-trail"));
  });

  test("a stack export's violations are located in the export file", async () => {
    const { status, sarif } = await preview(["--state", path.join(__dirname, "fixtures", "states", "noncompliant.json")]);
    expect(status).toBe(1);
    expect(schemaErrors(sarif)).toEqual([]);
    const uris = new Set(sarif!.runs[0].results!.map((r) => r.locations![0].physicalLocation!.artifactLocation!.uri));
    expect([...uris]).toEqual(["test/fixtures/states/noncompliant.json"]);
  });

  test("a SARIF file that cannot be written is one clear error, exit 2", async () => {
    const file = path.join(tmp, "no-such-dir", "out.sarif");
    const { status, stderr } = await runPreview(["--sarif", file, path.join(PROGRAMS, "compliant-ts")]);
    expect(status).toBe(2);
    expect(stderr).toMatch(new RegExp(`^error: cannot write the SARIF file ${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: ENOENT.*\n$`));
  });
});
