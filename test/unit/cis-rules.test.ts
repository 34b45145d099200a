// The CIS 3.1 rules as AWS applies them, one case per rule, for one trail and for a stack.
import { Requirements, TrailInStack, TrailVerdict, describeGaps, judgeStack, judgeTrail } from "../../lib/cis";
import { TrailKind, parseTrail } from "../../lib/trail";
import {
  ClassicTrailProps, MANAGEMENT, NativeTrailProps, READ_ONLY, S3_DATA, UNKNOWN, WRITE_ONLY, compliantClassic,
  compliantNative, malformed, unknownAtPreview,
} from "./fixtures";

const KMS_ALLOWED: Requirements = { allowedExcludedSources: ["kms.amazonaws.com"], requireGlobalServiceEvents: true };

function classic(changes: Partial<ClassicTrailProps>): ClassicTrailProps {
  return { ...compliantClassic, ...changes };
}

function verdictOf(props: unknown, kind: TrailKind = "aws", requirements?: Requirements): TrailVerdict {
  return judgeTrail(parseTrail(kind, props), requirements);
}

describe("a trail that meets CIS 3.1", () => {
  const cases: [string, ClassicTrailProps, Requirements?][] = [
    ["multi-region with provider defaults: no selectors means all management events", compliantClassic],
    ["a basic selector with readWriteType All and management events included", classic({
      eventSelectors: [{ readWriteType: "All", includeManagementEvents: true }],
    })],
    ["a basic selector with no fields takes AWS's defaults (All, included)", classic({ eventSelectors: [{}] })],
    ["basic ReadOnly and WriteOnly selectors on one trail: their union is All", classic({
      eventSelectors: [{ readWriteType: "ReadOnly" }, { readWriteType: "WriteOnly" }],
    })],
    ["a basic selector that also selects S3 data events", classic({
      eventSelectors: [{ readWriteType: "All", dataResources: [{ type: "AWS::S3::Object", values: ["arn:aws:s3"] }] }],
    })],
    ["an advanced selector with only eventCategory equals Management", classic({
      advancedEventSelectors: [{ name: "Management events", fieldSelectors: [MANAGEMENT] }],
    })],
    ["advanced readOnly true and readOnly false selectors: their union is both", classic({
      advancedEventSelectors: [
        { fieldSelectors: [MANAGEMENT, READ_ONLY] },
        { fieldSelectors: [MANAGEMENT, WRITE_ONLY] },
      ],
    })],
    ["an advanced readOnly condition that accepts both true and false", classic({
      advancedEventSelectors: [{ fieldSelectors: [MANAGEMENT, { field: "readOnly", equals: ["true", "false"] }] }],
    })],
    ["an advanced management selector beside a data selector", classic({
      advancedEventSelectors: [{ fieldSelectors: [MANAGEMENT] }, { fieldSelectors: S3_DATA }],
    })],
    ["an organization trail", classic({ isOrganizationTrail: true })],
    ["outputs as the provider reports them: empty lists for unset operators and selectors", classic({
      eventSelectors: [],
      advancedEventSelectors: [{
        name: "", fieldSelectors: [{
          field: "eventCategory", equals: ["Management"], notEquals: [], startsWiths: [], notStartsWiths: [],
          endsWiths: [], notEndsWiths: [],
        }],
      }],
    })],
    ["KMS events excluded by a basic selector, with KMS exclusions allowed by config", classic({
      eventSelectors: [{ excludeManagementEventSources: ["kms.amazonaws.com"] }],
    }), KMS_ALLOWED],
    ["KMS events excluded by an advanced eventSource notEquals, with KMS exclusions allowed", classic({
      advancedEventSelectors: [{ fieldSelectors: [MANAGEMENT, { field: "eventSource", notEquals: ["kms.amazonaws.com"] }] }],
    }), KMS_ALLOWED],
    ["unknown values that do not decide: bucket, key, log group, data resource ARNs", classic({
      s3BucketName: UNKNOWN, kmsKeyId: UNKNOWN, cloudWatchLogsGroupArn: UNKNOWN,
      advancedEventSelectors: [
        { fieldSelectors: [MANAGEMENT] },
        { fieldSelectors: [...S3_DATA, { field: "resources.ARN", startsWiths: [UNKNOWN] }] },
      ],
    })],
    ["an unknown selector beside one that already records everything", classic({
      eventSelectors: [{ readWriteType: "All" }, { readWriteType: UNKNOWN }],
    })],
    ["a secret-wrapped flag is judged by its plain value", classic({
      isMultiRegionTrail: malformed<boolean>({ "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: true }),
    })],
  ];
  // A rest parameter keeps jest from taking the optional last column for a done callback.
  test.each(cases)("%s", (...[, props, requirements]) => {
    expect(verdictOf(props, "aws", requirements)).toEqual({ status: "compliant" });
  });
});

describe("a trail that does not meet CIS 3.1", () => {
  const cases: [string, ClassicTrailProps, string, Requirements?][] = [
    ["single-region: isMultiRegionTrail defaults to false", { s3BucketName: "logs" }, "is single-region"],
    ["logging stopped", classic({ enableLogging: false }), "is not logging"],
    ["global service events excluded", classic({ isMultiRegionTrail: false, includeGlobalServiceEvents: false }),
      "is single-region and excludes global service events (IAM, STS, CloudFront)"],
    ["a basic ReadOnly selector", classic({ eventSelectors: [{ readWriteType: "ReadOnly" }] }),
      "records only read management events"],
    ["a basic WriteOnly selector", classic({ eventSelectors: [{ readWriteType: "WriteOnly" }] }),
      "records only write management events"],
    ["includeManagementEvents false: data events only", classic({
      eventSelectors: [{ includeManagementEvents: false, dataResources: [{ type: "AWS::S3::Object", values: ["arn:aws:s3"] }] }],
    }), "records no management events"],
    ["KMS events excluded by excludeManagementEventSources", classic({
      eventSelectors: [{ excludeManagementEventSources: ["kms.amazonaws.com"] }],
    }), "does not record read or write management events from kms.amazonaws.com"],
    ["RDS Data API events excluded, even when only KMS exclusions are allowed", classic({
      eventSelectors: [{ excludeManagementEventSources: ["kms.amazonaws.com", "rdsdata.amazonaws.com"] }],
    }), "does not record read or write management events from rdsdata.amazonaws.com", KMS_ALLOWED],
    ["an advanced selector with readOnly true", classic({
      advancedEventSelectors: [{ fieldSelectors: [MANAGEMENT, READ_ONLY] }],
    }), "records only read management events"],
    ["advanced selectors with data events only", classic({
      advancedEventSelectors: [{ fieldSelectors: S3_DATA }],
    }), "records no management events"],
    ["an advanced eventSource notEquals KMS", classic({
      advancedEventSelectors: [{ fieldSelectors: [MANAGEMENT, { field: "eventSource", notEquals: ["kms.amazonaws.com"] }] }],
    }), "does not record read or write management events from kms.amazonaws.com"],
    ["an advanced readOnly value unknown, alone: it is true or false, never both", classic({
      advancedEventSelectors: [{ fieldSelectors: [MANAGEMENT, { field: "readOnly", equals: [UNKNOWN] }] }],
    }), "records only read management events"],
    ["known narrowing advanced selectors beside unknown eventSelectors: AWS accepts only an empty list there", classic({
      advancedEventSelectors: [{ fieldSelectors: [MANAGEMENT, READ_ONLY] }], eventSelectors: unknownAtPreview<[]>(),
    }), "records only read management events"],
    ["known narrowing basic selectors beside unknown advancedEventSelectors", classic({
      eventSelectors: [{ readWriteType: "WriteOnly" }], advancedEventSelectors: unknownAtPreview<[]>(),
    }), "records only write management events"],
    ["global service events off and multi-region unknown: AWS accepts only a single-region trail", classic({
      includeGlobalServiceEvents: false, isMultiRegionTrail: unknownAtPreview<boolean>(),
    }), "is single-region and excludes global service events (IAM, STS, CloudFront)"],
    ["several gaps at once", classic({ isMultiRegionTrail: false, enableLogging: false, eventSelectors: [{ readWriteType: "ReadOnly" }] }),
      "is not logging, is single-region and records only read management events"],
    ["an unknown excluded source: AWS accepts only kms or rdsdata there, so it excludes one of them", classic({
      eventSelectors: [{ excludeManagementEventSources: [UNKNOWN] }],
    }), "does not record read or write management events from kms.amazonaws.com"],
    ["an unknown eventSource exclusion in an advanced management selector excludes one source too", classic({
      advancedEventSelectors: [{ fieldSelectors: [MANAGEMENT, { field: "eventSource", notEquals: [UNKNOWN] }] }],
    }), "does not record read or write management events from kms.amazonaws.com"],
    ["an unknown value does not save a trail that fails anyway", classic({ isMultiRegionTrail: unknownAtPreview<boolean>(), enableLogging: false }),
      "is not logging"],
  ];
  test.each(cases)("%s", (...[, props, gaps, requirements]) => {
    const verdict = verdictOf(props, "aws", requirements);
    expect(verdict.status).toBe("noncompliant");
    if (verdict.status === "noncompliant") {
      expect(describeGaps(verdict.gaps)).toBe(gaps);
    }
  });
});

describe("a trail whose verdict waits for deploy", () => {
  const cases: [string, ClassicTrailProps, string[]][] = [
    ["isMultiRegionTrail unknown at preview", classic({ isMultiRegionTrail: unknownAtPreview<boolean>() }), ["isMultiRegionTrail"]],
    ["enableLogging unknown at preview", classic({ enableLogging: unknownAtPreview<boolean>() }), ["enableLogging"]],
    ["the whole selector list computed from another resource", classic({ eventSelectors: unknownAtPreview<[]>() }), ["eventSelectors"]],
    ["readWriteType unknown", classic({ eventSelectors: [{ readWriteType: UNKNOWN }] }), ["eventSelectors[0].readWriteType"]],
    ["an advanced readOnly value unknown beside a known one: it may be the other", classic({
      advancedEventSelectors: [{ fieldSelectors: [MANAGEMENT, { field: "readOnly", equals: ["true", UNKNOWN] }] }],
    }), ["advancedEventSelectors[0].fieldSelectors[1].equals[1]"]],
  ];
  test.each(cases)("%s", (_name, props, unknowns) => {
    expect(verdictOf(props)).toEqual({ status: "unknown", unknowns });
  });

  test("an unknown excluded source with KMS exclusions allowed: it may be KMS, or rdsdata", () => {
    const props = classic({ eventSelectors: [{ excludeManagementEventSources: [UNKNOWN] }] });
    expect(verdictOf(props, "aws", KMS_ALLOWED)).toEqual({
      status: "unknown", unknowns: ["eventSelectors[0].excludeManagementEventSources[0]"],
    });
  });
});

describe("a configuration AWS rejects or that has the wrong types fails closed", () => {
  const cases: [string, unknown, string][] = [
    ["basic and advanced selectors both set", classic({
      eventSelectors: [{ readWriteType: "All" }], advancedEventSelectors: [{ fieldSelectors: [MANAGEMENT] }],
    }), "advancedEventSelectors"],
    ["multi-region without global service events", classic({ includeGlobalServiceEvents: false }), "includeGlobalServiceEvents"],
    ["readWriteType in the wrong case", classic({ eventSelectors: [{ readWriteType: "all" }] }), "eventSelectors[0].readWriteType"],
    ["eventCategory with an operator other than equals", classic({
      advancedEventSelectors: [{ fieldSelectors: [{ field: "eventCategory", notEquals: ["Data"] }] }],
    }), "advancedEventSelectors[0].fieldSelectors[0]"],
    ["a string where a list of selectors is expected", { ...compliantClassic, eventSelectors: "All" }, "eventSelectors"],
    ["a null selector entry", { ...compliantClassic, eventSelectors: [null] }, "eventSelectors[0]"],
    ["a non-boolean flag", { ...compliantClassic, isMultiRegionTrail: "true" }, "isMultiRegionTrail"],
    ["an excluded source AWS does not accept", classic({
      eventSelectors: [{ excludeManagementEventSources: ["s3.amazonaws.com"] }],
    }), "eventSelectors[0].excludeManagementEventSources[0]"],
    ["more than five basic selectors", classic({ eventSelectors: Array.from({ length: 6 }, () => ({})) }), "eventSelectors"],
    ["a readOnly value other than true or false", classic({
      advancedEventSelectors: [{ fieldSelectors: [MANAGEMENT, { field: "readOnly", equals: ["yes"] }] }],
    }), "advancedEventSelectors[0].fieldSelectors[1].equals[0]"],
    ["an advanced selector without eventCategory", classic({
      advancedEventSelectors: [{ fieldSelectors: [READ_ONLY] }],
    }), "advancedEventSelectors[0].fieldSelectors"],
    ["a field selector without a field", { ...compliantClassic, advancedEventSelectors: [{ fieldSelectors: [MANAGEMENT, { equals: ["x"] }] }] },
      "advancedEventSelectors[0].fieldSelectors[1].field"],
    ["an empty field selector list", classic({ advancedEventSelectors: [{ fieldSelectors: [] }] }), "advancedEventSelectors[0].fieldSelectors"],
    ["properties that are not an object", "a trail", "properties"],
    ["a management selector narrowed by eventName, a field AWS accepts only for data events", classic({
      advancedEventSelectors: [{ fieldSelectors: [MANAGEMENT, { field: "eventName", notEquals: ["ConsoleLogin"] }] }],
    }), "advancedEventSelectors[0].fieldSelectors[1].field"],
    ["a management selector with eventSource equals one source", classic({
      advancedEventSelectors: [{ fieldSelectors: [MANAGEMENT, { field: "eventSource", equals: ["ec2.amazonaws.com"] }] }],
    }), "advancedEventSelectors[0].fieldSelectors[1]"],
    ["a management selector excluding a source AWS cannot exclude (an inherited object key)", classic({
      advancedEventSelectors: [{ fieldSelectors: [MANAGEMENT, { field: "eventSource", notEquals: ["toString"] }] }],
    }), "advancedEventSelectors[0].fieldSelectors[1]"],
    ["a management selector with eventSource startsWith", classic({
      advancedEventSelectors: [{ fieldSelectors: [MANAGEMENT, WRITE_ONLY, { field: "eventSource", startsWiths: ["ec2"] }] }],
    }), "advancedEventSelectors[0].fieldSelectors[2]"],
    ["readOnly with an operator other than equals", classic({
      advancedEventSelectors: [{ fieldSelectors: [MANAGEMENT, { field: "readOnly", notEquals: ["true"] }] }],
    }), "advancedEventSelectors[0].fieldSelectors[1]"],
    ["more than 500 condition values over the advanced selectors", classic({
      advancedEventSelectors: Array.from({ length: 501 }, () => ({ fieldSelectors: [MANAGEMENT] })),
    }), "advancedEventSelectors"],
    ["a condition value longer than AWS accepts", classic({
      advancedEventSelectors: [{ fieldSelectors: [MANAGEMENT, ...S3_DATA.slice(1), { field: "resources.ARN", startsWiths: ["a".repeat(2049)] }] }],
    }), "advancedEventSelectors[0].fieldSelectors[2].startsWiths[0]"],
  ];
  test.each(cases)("%s", (_name, props, path) => {
    const parsed = parseTrail("aws", props);
    expect(parsed.problems.map((p) => p.path)).toContain(path);
    expect(judgeTrail(parsed).status).toBe("noncompliant");
  });

  test("an unknown flag that could make AWS reject the trail is undecided, not a problem", () => {
    const parsed = parseTrail("aws", classic({ includeGlobalServiceEvents: unknownAtPreview<boolean>() }));
    expect(parsed.problems).toEqual([]);
    expect(parsed.undecided.map((u) => u.path)).toEqual(["includeGlobalServiceEvents"]);
  });

  test("an unknown selector list beside known selectors of the other kind is undecided: AWS rejects any non-empty value", () => {
    const parsed = parseTrail("aws", classic({
      advancedEventSelectors: [{ fieldSelectors: [MANAGEMENT] }], eventSelectors: unknownAtPreview<[]>(),
    }));
    expect(parsed.problems).toEqual([]);
    expect(parsed.undecided).toEqual([{ path: "eventSelectors", rule: "a trail accepts one kind of event selector, not both" }]);
    // The only value AWS accepts there is an empty list, which leaves the compliant selector.
    expect(judgeTrail(parsed).status).toBe("compliant");
  });

  test("5,000 advanced selectors exceed AWS's limit on condition values", () => {
    const parsed = parseTrail("aws", classic({ advancedEventSelectors: Array.from({ length: 5000 }, () => ({ fieldSelectors: [MANAGEMENT] })) }));
    expect(parsed.problems.map((p) => p.code)).toEqual(["too-many-condition-values"]);
    expect(parsed.problems[0].message).toBe("advancedEventSelectors has 5000 condition values in all, but AWS accepts at most 500 on a trail.");
  });

  test("a read resource's empty lookup is not a configuration", () => {
    expect(parseTrail("aws", {}).lookupOnly).toBe(true);
    expect(parseTrail("aws-native", { isLogging: null }).lookupOnly).toBe(true);
    expect(parseTrail("aws", compliantClassic).lookupOnly).toBe(false);
  });

  test("5,000 selectors are read in one pass and every problem is named", () => {
    const selectors = Array.from({ length: 5000 }, (_, i) => (i % 2 ? { readWriteType: "Both" } : null));
    const parsed = parseTrail("aws", { ...compliantClassic, eventSelectors: selectors });
    expect(parsed.problems).toHaveLength(5001); // each entry, and the count over five
    expect(judgeTrail(parsed).status).toBe("noncompliant");
  });
});

describe("aws-native trails follow the same AWS rules", () => {
  const native = (changes: Partial<NativeTrailProps>): NativeTrailProps => ({ ...compliantNative, ...changes });
  const cases: [string, NativeTrailProps, TrailVerdict["status"]][] = [
    ["logging, multi-region, no selectors", compliantNative, "compliant"],
    ["isLogging false", native({ isLogging: false }), "noncompliant"],
    ["single-region", native({ isMultiRegionTrail: false }), "noncompliant"],
    ["a basic ReadOnly selector", native({ eventSelectors: [{ readWriteType: "ReadOnly" }] }), "noncompliant"],
    ["an advanced readOnly true selector", native({
      advancedEventSelectors: [{ fieldSelectors: [MANAGEMENT, READ_ONLY] }],
    }), "noncompliant"],
    ["an advanced selector narrowed with the singular startsWith", native({
      advancedEventSelectors: [{ fieldSelectors: [MANAGEMENT, { field: "eventSource", startsWith: ["ec2"] }] }],
    }), "noncompliant"],
    ["an advanced selector excluding KMS with notEquals", native({
      advancedEventSelectors: [{ fieldSelectors: [MANAGEMENT, { field: "eventSource", notEquals: ["kms.amazonaws.com"] }] }],
    }), "noncompliant"],
    ["an advanced data-only selector", native({ advancedEventSelectors: [{ fieldSelectors: S3_DATA }] }), "noncompliant"],
    ["KMS events excluded", native({ eventSelectors: [{ excludeManagementEventSources: ["kms.amazonaws.com"] }] }), "noncompliant"],
    ["isMultiRegionTrail unknown", native({ isMultiRegionTrail: unknownAtPreview<boolean>() }), "unknown"],
    ["isLogging missing, though aws-native requires it", malformed<NativeTrailProps>({ s3BucketName: "b", isMultiRegionTrail: true }), "noncompliant"],
  ];
  test.each(cases)("%s", (_name, props, status) => {
    expect(verdictOf(props, "aws-native").status).toBe(status);
  });

  test("the classic provider's operator names mean nothing on a native trail", () => {
    const parsed = parseTrail("aws-native", { ...compliantNative, advancedEventSelectors: [{
      fieldSelectors: [MANAGEMENT, { field: "eventSource", startsWiths: ["ec2"] }],
    }] });
    expect(judgeTrail(parsed).status).toBe("compliant");
  });
});

describe("the stack has one trail that meets CIS 3.1", () => {
  const trail = (name: string, props: unknown, kind: TrailKind = "aws"): TrailInStack =>
    ({ urn: `urn:pulumi:dev::audit::${kind}:cloudtrail::${name}`, name, parsed: parseTrail(kind, props) });

  test("a stack without any trail fails with its own verdict", () => {
    expect(judgeStack([])).toEqual({ status: "no-trail" });
  });

  test("a compliant trail beside a single-region data-events trail passes", () => {
    const verdict = judgeStack([
      trail("data", { s3BucketName: "b", eventSelectors: [{ includeManagementEvents: false }] }),
      trail("main", compliantClassic),
    ]);
    expect(verdict).toMatchObject({ status: "compliant", trail: { name: "main" } });
  });

  test("read events on one trail and write events on another do not add up", () => {
    const verdict = judgeStack([
      trail("reads", classic({ eventSelectors: [{ readWriteType: "ReadOnly" }] })),
      trail("writes", classic({ eventSelectors: [{ readWriteType: "WriteOnly" }] })),
    ]);
    expect(verdict).toMatchObject({ status: "noncompliant", trailCount: 2, closest: { name: "reads" } });
  });

  test("the closest trail is the one missing the fewest things", () => {
    const verdict = judgeStack([
      trail("far", { s3BucketName: "b", enableLogging: false, eventSelectors: [{ readWriteType: "ReadOnly" }] }),
      trail("near", { s3BucketName: "b" }),
    ]);
    expect(verdict).toMatchObject({ status: "noncompliant", closest: { name: "near" } });
    if (verdict.status === "noncompliant") expect(verdict.gaps.map((g) => g.code)).toEqual(["single-region"]);
  });

  test("an unknown trail does not block when another trail already complies", () => {
    expect(judgeStack([trail("later", classic({ isMultiRegionTrail: unknownAtPreview<boolean>() })), trail("main", compliantClassic)]).status)
      .toBe("compliant");
  });

  test("an unknown trail alone waits for deploy", () => {
    expect(judgeStack([trail("later", classic({ isMultiRegionTrail: unknownAtPreview<boolean>() }))])).toMatchObject({
      status: "unknown", candidates: [{ trail: { name: "later" }, unknowns: ["isMultiRegionTrail"] }],
    });
  });

  test("a compliant aws-native trail satisfies a stack whose classic trail does not", () => {
    expect(judgeStack([trail("classic", { s3BucketName: "b" }), trail("native", compliantNative, "aws-native")]))
      .toMatchObject({ status: "compliant", trail: { name: "native" } });
  });
});
