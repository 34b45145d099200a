// Both example stacks through the offline preview, the command the README runs first: the
// compliant baseline gets one advisory, for the S3 read events it leaves off on purpose, the
// counter-example is blocked for its mistakes.
import { spawnSync } from "child_process";
import * as path from "path";
import type { PreviewReport } from "../tools/preview/report";

const ROOT = path.join(__dirname, "..");
const MAIN = path.join(ROOT, "bin", "tools", "preview", "main.js");

function preview(example: string, ...options: string[]): { status: number | null; report: PreviewReport; text: string } {
  const dir = path.join("examples", example);
  const env = { ...process.env, AWS_REGION: "", AWS_DEFAULT_REGION: "" };
  const json = spawnSync(process.execPath, [MAIN, "--json", ...options, dir], { cwd: ROOT, encoding: "utf8", env, timeout: 120_000 });
  const text = spawnSync(process.execPath, [MAIN, ...options, dir], { cwd: ROOT, encoding: "utf8", env, timeout: 120_000 });
  expect(text.status).toBe(json.status);
  return { status: json.status, report: JSON.parse(json.stdout) as PreviewReport, text: text.stdout };
}

describe("examples/compliant-trail", () => {
  const run = preview("compliant-trail");

  test("passes with one advisory only, for the S3 object-level read events it leaves off by default, and exits 0", () => {
    expect(run.report.diagnostics.map((d) => `${d.policyName} ${d.enforcementLevel} ${d.urn.split("::").pop()}`))
      .toEqual(["aws-cloudtrail-s3-object-read-events advisory cloudtrail"]);
    expect(run.report.diagnostics[0].message).toContain("Trail \"cloudtrail\" records no S3 object-level read events.");
    expect(run.status).toBe(0);
    expect(run.text).toContain("Policies: 0 mandatory violations, 1 advisory");
  });

  test("with recordS3ReadEvents it records read events too: no diagnostic at all", () => {
    const withReads = preview(path.join("..", "test", "fixtures", "programs", "compliant-read-events-ts"));
    expect(withReads.report.diagnostics).toEqual([]);
    expect(withReads.status).toBe(0);
  });

  test("deploys the pieces the README promises: trail, KMS key, log bucket and its policy, log group", () => {
    const types = run.report.resources.map((r) => r.type);
    for (const type of ["aws:cloudtrail/trail:Trail", "aws:kms/key:Key", "aws:s3/bucket:Bucket",
      "aws:s3/bucketPolicy:BucketPolicy", "aws:cloudwatch/logGroup:LogGroup", "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"]) {
      expect(types).toContain(type);
    }
  });
});

describe("examples/noncompliant-trail", () => {
  const run = preview("noncompliant-trail");
  const at = (policy: string) => run.report.diagnostics.filter((d) => d.policyName === policy)
    .map((d) => `${d.enforcementLevel} ${d.urn.split("::").pop()}`).sort();

  test("is blocked by the stack policy, attributed to the closest trail, and exits 1", () => {
    expect(run.status).toBe(1);
    expect(at("aws-cloudtrail-stack-has-cis-trail")).toEqual(["mandatory all-regions-read-only"]);
    const [blocked] = run.report.diagnostics.filter((d) => d.enforcementLevel === "mandatory");
    expect(blocked.message).toContain("Trail \"all-regions-read-only\" records only read management events.");
    expect(blocked.message).toContain("None of the stack's 2 trails complies");
  });

  test("names each trail's own mistakes in the per-trail advisory", () => {
    expect(at("aws-cloudtrail-trail-meets-cis")).toEqual(["advisory all-regions-read-only", "advisory regional-read-only"]);
    const messages = run.report.diagnostics.filter((d) => d.policyName === "aws-cloudtrail-trail-meets-cis").map((d) => d.message);
    expect(messages.join("\n")).toContain("The trail \"regional-read-only\" is single-region and records only read management events.");
  });

  test("counts one bucket as all buckets: the S3 object-level write events advisory says so", () => {
    expect(at("aws-cloudtrail-s3-object-write-events")).toEqual(["advisory all-regions-read-only"]);
    const [writes] = run.report.diagnostics.filter((d) => d.policyName === "aws-cloudtrail-s3-object-write-events");
    expect(writes.message).toContain("Trail \"all-regions-read-only\" records S3 object-level write events only for some buckets " +
      "or objects (narrowed by advancedEventSelectors[1].fieldSelectors[3]), not for every current and future bucket.");
  });

  test("prints the blocked policy the way pulumi preview does", () => {
    expect(run.text).toContain("FAILED  cis-cloudtrail@v");
    expect(run.text).toContain("[mandatory]  aws-cloudtrail-stack-has-cis-trail");
    expect(run.text).toMatch(/Policies: 1 mandatory violation, \d+ advisory/);
  });
});
