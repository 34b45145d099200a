// The S3 object-level logging rules as lib judges them, for every current and future bucket and for
// the buckets a stack declares: the table shared with the protocol test, then the rules of scope.
import { BucketInStack, TrailInStack, describeGaps, judgeObjectLogging } from "../../lib/cis";
import { S3Access } from "../../lib/coverage";
import { parseTrail } from "../../lib/trail";
import { Expected, OBJECT_CASES, S3_OBJECTS } from "../object-logging-cases";
import { ClassicTrailProps, UNKNOWN } from "./fixtures";

function inStack(name: string, props: ClassicTrailProps, selectorDependencies?: string[]): TrailInStack {
  return { urn: `urn:pulumi:dev::audit::aws:cloudtrail/trail:Trail::${name}`, name, parsed: parseTrail("aws", props), selectorDependencies };
}

/** With `buckets`, scope declared-buckets; with `declared` only, every bucket, in a stack declaring those. */
function outcome(trails: TrailInStack[], access: S3Access, buckets?: BucketInStack[], declared?: BucketInStack[]): Expected {
  const verdict = judgeObjectLogging(trails, access, buckets ? "declared-buckets" : "all-buckets", buckets ?? declared);
  if (verdict.status === "noncompliant") return describeGaps(verdict.gaps);
  return verdict.status;
}

const bucket = (name: string, bucketName: string | undefined): BucketInStack =>
  ({ urn: `urn:pulumi:dev::audit::aws:s3/bucket:Bucket::${name}`, name, bucketName });
const multi = { s3BucketName: "audit-logs", isMultiRegionTrail: true };
const oneBucket = (value: string): ClassicTrailProps => ({
  ...multi, eventSelectors: [{ dataResources: [{ type: "AWS::S3::Object", values: [value] }] }],
});

describe("every current and future bucket (scope all-buckets, the CIS remediation)", () => {
  test.each(OBJECT_CASES)("$name", ({ trail, write, read }) => {
    expect(outcome([inStack("main", trail)], "write")).toBe(write);
    expect(outcome([inStack("main", trail)], "read")).toBe(read);
  });

  test("CIS asks for one trail: two trails that each record one bucket do not add up", () => {
    const trails = [inStack("a", oneBucket("arn:aws:s3:::a/")), inStack("b", oneBucket("arn:aws:s3:::b/"))];
    expect(judgeObjectLogging(trails, "write", "all-buckets")).toMatchObject({ status: "noncompliant", trailCount: 2 });
  });

  test("the stack's own buckets a narrowed trail leaves out are named, by logical name", () => {
    const buckets = [bucket("customer-data", "customer-data-prod"), bucket("audit-logs", "audit-logs")];
    expect(outcome([inStack("main", oneBucket("arn:aws:s3:::customer-data-prod/"))], "write", undefined, buckets)).toBe(
      "records S3 object-level write events only for some buckets or objects (narrowed by eventSelectors[0].dataResources[0].values), " +
      'not for every current and future bucket, and leaves out bucket "audit-logs"');
  });

  test("a trail that records every bucket makes the stack comply beside one that records none", () => {
    const trails = [inStack("management", multi), inStack("data", { ...multi, eventSelectors: [{ dataResources: [S3_OBJECTS] }] })];
    expect(judgeObjectLogging(trails, "read", "all-buckets")).toMatchObject({ status: "compliant", trail: { name: "data" } });
  });
});

describe("the buckets the stack declares (scope declared-buckets)", () => {
  const buckets = [bucket("customer-data", "customer-data-prod"), bucket("audit-logs", "audit-logs")];

  test("a trail recording each declared bucket by name is enough", () => {
    const trail = { ...multi, eventSelectors: [{ dataResources: [{ type: "AWS::S3::Object", values: ["arn:aws:s3:::customer-data-prod/", "arn:aws:s3:::audit-logs/"] }] }] };
    expect(outcome([inStack("main", trail)], "write", buckets)).toBe("compliant");
  });

  test("a declared bucket the trail does not record is named by its logical name", () => {
    expect(outcome([inStack("main", oneBucket("arn:aws:s3:::customer-data-prod/"))], "write", buckets))
      .toBe('does not record S3 object-level write events for bucket "audit-logs"');
  });

  test("a prefix of a bucket does not record the whole bucket", () => {
    expect(outcome([inStack("main", oneBucket("arn:aws:s3:::audit-logs/AWSLogs/"))], "read", [buckets[1]]))
      .toBe('does not record S3 object-level read events for bucket "audit-logs"');
  });

  test("a selector for every bucket records each declared one", () => {
    expect(outcome([inStack("main", oneBucket("arn:aws:s3"))], "read", buckets)).toBe("compliant");
  });

  test("notStartsWith on resources.ARN excludes the declared bucket it names", () => {
    const trail = { ...multi, advancedEventSelectors: [{ fieldSelectors: [
      { field: "eventCategory", equals: ["Data"] }, { field: "resources.type", equals: ["AWS::S3::Object"] },
      { field: "resources.ARN", notStartsWiths: ["arn:aws:s3:::audit-logs/"] },
    ] }] };
    expect(outcome([inStack("main", trail)], "write", buckets)).toBe('does not record S3 object-level write events for bucket "audit-logs"');
  });

  test("a bucket named only at deploy is recorded by a value derived from it (linked through property dependencies)", () => {
    const generated = bucket("uploads", undefined);
    const trail = oneBucket(UNKNOWN);
    expect(outcome([inStack("main", trail, [generated.urn])], "write", [generated])).toBe("compliant");
  });

  test("an unknown value not derived from the bucket decides at deploy", () => {
    const generated = bucket("uploads", undefined);
    expect(outcome([inStack("main", oneBucket(UNKNOWN))], "write", [generated])).toBe("unknown");
  });

  test("an exclusion derived from the bucket excludes it", () => {
    const generated = bucket("uploads", undefined);
    const trail = { ...multi, advancedEventSelectors: [{ fieldSelectors: [
      { field: "eventCategory", equals: ["Data"] }, { field: "resources.type", equals: ["AWS::S3::Object"] },
      { field: "resources.ARN", notStartsWiths: [UNKNOWN] },
    ] }] };
    expect(outcome([inStack("main", trail, [generated.urn])], "write", [generated]))
      .toBe('does not record S3 object-level write events for bucket "uploads"');
  });

  test("for every bucket, a value derived from a declared bucket names that bucket alone", () => {
    const generated = bucket("uploads", undefined);
    const trail = inStack("main", oneBucket(UNKNOWN), [generated.urn]);
    expect(judgeObjectLogging([trail], "write", "all-buckets", [generated])).toMatchObject({ status: "noncompliant" });
  });

  test("a bucket named only at deploy is not any bucket a known value names", () => {
    expect(outcome([inStack("main", oneBucket("arn:aws:s3:::customer-data-prod/"))], "write", [bucket("uploads", undefined)]))
      .toBe('does not record S3 object-level write events for bucket "uploads"');
  });
});
