// The S3 object-level logging policies over the Analyzer protocol, against the pack as the CLI
// starts it: the rule table shared with lib's test, then scope, property dependencies, providers and
// enforcement levels.
import * as path from "path";
import { PolicyPackClient, startPolicyPack } from "../tools/analyzer/client";
import { AnalyzeResult, ResourceToAnalyze, UNKNOWN } from "../tools/analyzer/types";
import { Expected, OBJECT_CASES, S3_OBJECTS } from "./object-logging-cases";

const ROOT = path.join(__dirname, "..");
const WRITES = "aws-cloudtrail-s3-object-write-events";
const READS = "aws-cloudtrail-s3-object-read-events";

const trail = (name: string, properties: object, type = "aws:cloudtrail/trail:Trail", propertyDependencies?: Record<string, string[]>): ResourceToAnalyze =>
  ({ type, name, urn: `urn:pulumi:dev::audit::${type}::${name}`, properties: properties as Record<string, unknown>, propertyDependencies });
const bucket = (name: string, properties: Record<string, unknown>, type = "aws:s3/bucket:Bucket"): ResourceToAnalyze =>
  ({ type, name, urn: `urn:pulumi:dev::audit::${type}::${name}`, properties });
const multi = { s3BucketName: "audit-logs", isMultiRegionTrail: true };

/** What one policy said of the stack, in the table's terms. */
function outcome(result: AnalyzeResult, policy: string): Expected {
  const found = result.diagnostics.filter((d) => d.policyName === policy);
  if (found.length === 0) return "compliant";
  expect(found).toHaveLength(1);
  const [d] = found;
  const message = d.message.slice(d.message.indexOf("\n") + 1);
  if (message.startsWith("No trail is known")) {
    expect(d.enforcementLevel).toBe("advisory");
    return "unknown";
  }
  expect(d.urn).toBe("urn:pulumi:dev::audit::aws:cloudtrail/trail:Trail::main");
  const gaps = /^Trail "main" (.*?)\. To fix: /.exec(message);
  return gaps ? gaps[1] : message;
}

let pack: PolicyPackClient;
beforeAll(async () => {
  pack = await startPolicyPack(ROOT);
});
afterAll(async () => {
  await pack?.close();
});
afterEach(async () => {
  await pack.configure({});
});

describe("every current and future bucket: the same verdicts as lib's", () => {
  test.each(OBJECT_CASES)("$name", async ({ trail: props, write, read }) => {
    const result = await pack.analyzeStack([trail("main", props)]);
    expect(outcome(result, WRITES)).toBe(write);
    expect(outcome(result, READS)).toBe(read);
    for (const d of result.diagnostics.filter((x) => x.policyName === WRITES || x.policyName === READS)) {
      expect(d.enforcementLevel).toBe("advisory");
    }
  });
});

describe("scope declared-buckets", () => {
  const declared = { [WRITES]: { scope: "declared-buckets" }, [READS]: { scope: "declared-buckets" } };

  test("a trail recording the one declared bucket passes, where all-buckets asks for more", async () => {
    const props = { ...multi, eventSelectors: [{ dataResources: [{ type: "AWS::S3::Object", values: ["arn:aws:s3:::uploads-prod/"] }] }] };
    const stack = [trail("main", props), bucket("uploads", { bucket: "uploads-prod" })];
    expect(outcome(await pack.analyzeStack(stack), WRITES)).toContain("only for some buckets or objects");
    await pack.configure(declared);
    const result = await pack.analyzeStack(stack);
    expect(result.diagnostics.filter((d) => d.policyName === WRITES || d.policyName === READS)).toEqual([]);
  });

  test("a bucket whose name is generated at deploy is linked to the trail through the selectors' property dependencies", async () => {
    await pack.configure(declared);
    const uploads = bucket("uploads", { bucket: UNKNOWN, arn: UNKNOWN });
    const props = { ...multi, eventSelectors: [{ readWriteType: "WriteOnly", dataResources: [{ type: "AWS::S3::Object", values: [UNKNOWN] }] }] };
    const linked = await pack.analyzeStack([trail("main", props, undefined, { eventSelectors: [uploads.urn] }), uploads]);
    expect(outcome(linked, WRITES)).toBe("compliant");
    expect(outcome(linked, READS)).toBe('does not record S3 object-level read events for bucket "uploads"');
    const unlinked = await pack.analyzeStack([trail("main", props), uploads]);
    expect(outcome(unlinked, WRITES)).toBe("unknown");
  });

  test("aws-native buckets are read by bucketName, and BucketV2 by bucket", async () => {
    await pack.configure(declared);
    const props = { ...multi, eventSelectors: [{ dataResources: [{ type: "AWS::S3::Object", values: ["arn:aws:s3:::a/", "arn:aws:s3:::b/"] }] }] };
    const result = await pack.analyzeStack([
      trail("main", props), bucket("native", { bucketName: "a" }, "aws-native:s3:Bucket"), bucket("v2", { bucket: "b" }, "aws:s3/bucketV2:BucketV2"),
      bucket("other", { bucket: "c" }),
    ]);
    expect(outcome(result, WRITES)).toBe('does not record S3 object-level write events for bucket "other"');
  });
});

describe("providers and levels", () => {
  test("an aws-native trail is judged with its own operator names (startsWith, singular)", async () => {
    const native = trail("main", {
      ...multi, isLogging: true,
      advancedEventSelectors: [
        { fieldSelectors: [{ field: "eventCategory", equals: ["Management"] }] },
        { fieldSelectors: [{ field: "eventCategory", equals: ["Data"] }, { field: "resources.type", equals: ["AWS::S3::Object"] },
          { field: "resources.ARN", startsWith: ["arn:aws:s3:::"] }, { field: "readOnly", equals: ["false"] }] },
      ],
    }, "aws-native:cloudtrail:Trail");
    const result = await pack.analyzeStack([native]);
    expect(result.diagnostics.filter((d) => d.policyName === WRITES)).toEqual([]);
    expect(result.diagnostics.filter((d) => d.policyName === READS).map((d) => d.urn)).toEqual([native.urn]);
  });

  test("advisory by default; mandatory when a policy group says so", async () => {
    const stack = [trail("main", multi)];
    expect((await pack.analyzeStack(stack)).diagnostics.filter((d) => d.policyName === WRITES).map((d) => d.enforcementLevel)).toEqual(["advisory"]);
    await pack.configure({ [WRITES]: { enforcementLevel: "mandatory" } });
    expect((await pack.analyzeStack(stack)).diagnostics.filter((d) => d.policyName === WRITES).map((d) => d.enforcementLevel)).toEqual(["mandatory"]);
  });

  test("a trail recording everything passes both, beside buckets and other resources", async () => {
    const result = await pack.analyzeStack([
      trail("main", { ...multi, eventSelectors: [{ dataResources: [S3_OBJECTS] }] }), bucket("uploads", { bucket: "uploads-prod" }),
      { type: "aws:iam/role:Role", name: "r", urn: "urn:pulumi:dev::audit::aws:iam/role:Role::r", properties: {} },
    ]);
    expect(result.diagnostics.filter((d) => d.policyName === WRITES || d.policyName === READS)).toEqual([]);
    expect(result.notApplicable).toEqual([]);
  });
});
