// Remediation turns a non-compliant trail into one that meets CIS 3.1 and changes nothing else.
import { judgeTrail } from "../../lib/cis";
import { remediateTrail } from "../../lib/remediate";
import { TrailKind, parseTrail } from "../../lib/trail";
import {
  ClassicTrailProps, MANAGEMENT, NativeTrailProps, READ_ONLY, S3_DATA, UNKNOWN, WRITE_ONLY, compliantNative,
} from "./fixtures";

const base: ClassicTrailProps = { s3BucketName: "audit-logs", kmsKeyId: "arn:aws:kms:key", tags: { team: "security" } };

function remediated(kind: TrailKind, props: object, allowed: string[] = []): Record<string, unknown> {
  const remediation = remediateTrail(kind, props, allowed);
  if (!remediation) throw new Error("expected a remediation");
  return { ...props, ...remediation.changes };
}

describe("remediation makes a trail meet CIS 3.1", () => {
  const cases: [string, ClassicTrailProps, string[]][] = [
    ["single-region becomes multi-region", base, ["set isMultiRegionTrail to true"]],
    ["stopped logging starts", { ...base, isMultiRegionTrail: true, enableLogging: false }, ["set enableLogging to true"]],
    ["global service events are included", { ...base, includeGlobalServiceEvents: false }, [
      "set isMultiRegionTrail to true", "set includeGlobalServiceEvents to true"]],
    ["a ReadOnly basic selector becomes All", { ...base, isMultiRegionTrail: true, eventSelectors: [{ readWriteType: "ReadOnly" }] },
      ["set eventSelectors[0].readWriteType to All"]],
    ["excluded KMS events are included again", {
      ...base, isMultiRegionTrail: true, eventSelectors: [{ excludeManagementEventSources: ["kms.amazonaws.com"] }],
    }, ["removed excluded management event sources from eventSelectors[0]"]],
    ["a data-only basic selector gets a management selector beside it", {
      ...base, isMultiRegionTrail: true,
      eventSelectors: [{ includeManagementEvents: false, dataResources: [{ type: "AWS::S3::Object", values: ["arn:aws:s3"] }] }],
    }, ["added an event selector for all management events"]],
    ["an advanced readOnly selector is widened to read and write", {
      ...base, isMultiRegionTrail: true, advancedEventSelectors: [{ fieldSelectors: [MANAGEMENT, READ_ONLY] }],
    }, ["removed conditions narrowing management events from advancedEventSelectors[0]"]],
    ["a multi-region trail without global service events, which AWS rejects, gets them", {
      ...base, isMultiRegionTrail: true, includeGlobalServiceEvents: false,
    }, ["set includeGlobalServiceEvents to true"]],
    ["advanced data selectors alone get a management selector", {
      ...base, isMultiRegionTrail: true, advancedEventSelectors: [{ fieldSelectors: S3_DATA }],
    }, ["added an advanced event selector for all management events"]],
  ];
  test.each(cases)("%s", (_name, props, actions) => {
    expect(judgeTrail(parseTrail("aws", props)).status).toBe("noncompliant");
    expect(remediateTrail("aws", props, [])?.actions).toEqual(actions);
    const fixed = remediated("aws", props);
    expect(judgeTrail(parseTrail("aws", fixed))).toEqual({ status: "compliant" });
    expect(parseTrail("aws", fixed).problems).toEqual([]);
    // Bucket, key and tags are exactly as written.
    expect(fixed).toMatchObject({ s3BucketName: "audit-logs", kmsKeyId: "arn:aws:kms:key", tags: { team: "security" } });
  });

  test("data selectors stay exactly as written", () => {
    const data = { fieldSelectors: S3_DATA };
    const fixed = remediated("aws", { ...base, isMultiRegionTrail: true, advancedEventSelectors: [{ fieldSelectors: [MANAGEMENT, WRITE_ONLY] }, data] });
    expect((fixed.advancedEventSelectors as unknown[])[1]).toEqual(data);
  });

  test("an allowed exclusion is kept", () => {
    const props = { ...base, isMultiRegionTrail: true, eventSelectors: [{ readWriteType: "ReadOnly", excludeManagementEventSources: ["kms.amazonaws.com"] }] };
    const fixed = remediated("aws", props, ["kms.amazonaws.com"]);
    expect(fixed.eventSelectors).toEqual([{ readWriteType: "All", excludeManagementEventSources: ["kms.amazonaws.com"] }]);
  });

  test("an aws-native trail is fixed with its own property names", () => {
    const props: NativeTrailProps = { ...compliantNative, isLogging: false, advancedEventSelectors: [{
      fieldSelectors: [MANAGEMENT, { field: "eventSource", notEquals: ["kms.amazonaws.com"] }],
    }] };
    const fixed = remediated("aws-native", props);
    expect(fixed.isLogging).toBe(true);
    expect(judgeTrail(parseTrail("aws-native", fixed))).toEqual({ status: "compliant" });
  });
});

describe("remediation leaves alone what it must not change", () => {
  test("a compliant trail needs nothing", () => {
    expect(remediateTrail("aws", { ...base, isMultiRegionTrail: true }, [])).toBeUndefined();
  });

  test("a value unknown at preview is never rewritten", () => {
    const remediation = remediateTrail("aws", { ...base, isMultiRegionTrail: UNKNOWN, eventSelectors: [{ readWriteType: UNKNOWN }] }, []);
    expect(remediation).toBeUndefined();
  });

  test("an unknown readOnly condition is not dropped", () => {
    const props = { ...base, isMultiRegionTrail: true, advancedEventSelectors: [{ fieldSelectors: [MANAGEMENT, { field: "readOnly", equals: [UNKNOWN] }] }] };
    expect(remediateTrail("aws", props, [])).toBeUndefined();
  });

  test("a read resource's empty lookup has nothing to remediate", () => {
    expect(remediateTrail("aws", {}, [])).toBeUndefined();
    expect(remediateTrail("aws-native", {}, [])).toBeUndefined();
  });

  test("an aws-native multi-region trail without global service events gets them, and nothing else changes", () => {
    const props = { ...compliantNative, includeGlobalServiceEvents: false };
    expect(parseTrail("aws-native", props).problems.map((p) => p.code)).toEqual(["multi-region-without-global-events"]);
    expect(remediateTrail("aws-native", props, [])).toEqual({
      changes: { includeGlobalServiceEvents: true }, actions: ["set includeGlobalServiceEvents to true"],
    });
  });

  test("a trail AWS rejects (basic and advanced selectors together) is not guessed at", () => {
    const props = { ...base, eventSelectors: [{ readWriteType: "ReadOnly" }], advancedEventSelectors: [{ fieldSelectors: [MANAGEMENT] }] };
    expect(remediateTrail("aws", props, [])).toBeUndefined();
  });
});
