// The built pack, started as the Pulumi CLI starts it and spoken to over the Analyzer protocol.
import * as fs from "fs";
import * as path from "path";
import Ajv from "ajv";
import { PolicyPackClient, secret, startPolicyPack } from "../tools/analyzer/client";
import { AnalyzeResult, Diagnostic, PolicyConfig, ResourceToAnalyze, UNKNOWN } from "../tools/analyzer/types";

const ROOT = path.join(__dirname, "..");
const STACK = "aws-cloudtrail-stack-has-cis-trail";
const VALID = "aws-cloudtrail-trail-valid-configuration";
const MEETS = "aws-cloudtrail-trail-meets-cis";
const WRITES = "aws-cloudtrail-s3-object-write-events";
const READS = "aws-cloudtrail-s3-object-read-events";
const POLICIES = [STACK, VALID, MEETS, "aws-cloudtrail-trail-log-file-validation",
  "aws-cloudtrail-trail-kms-encryption", "aws-cloudtrail-trail-cloudwatch-logs", WRITES, READS];
const STACK_POLICIES = [STACK, WRITES, READS];
/** Every S3 object-level event, read and write, of every bucket, beside all management events. */
const ALL_OBJECTS = { type: "AWS::S3::Object", values: ["arn:aws:s3"] };

/** A trail with everything a security team asks for, so any diagnostic on it is a defect. */
const fullTrail = {
  s3BucketName: "audit-logs",
  isMultiRegionTrail: true,
  eventSelectors: [{ readWriteType: "All", includeManagementEvents: true, dataResources: [ALL_OBJECTS] }],
  enableLogFileValidation: true,
  kmsKeyId: "arn:aws:kms:us-east-1:123456789012:key/1",
  cloudWatchLogsGroupArn: "arn:aws:logs:us-east-1:123456789012:log-group:trail:*",
  cloudWatchLogsRoleArn: "arn:aws:iam::123456789012:role/trail",
};

function trail(name: string, properties: Record<string, unknown>, type = "aws:cloudtrail/trail:Trail"): ResourceToAnalyze {
  return { type, name, urn: `urn:pulumi:dev::audit::${type}::${name}`, properties };
}

const bucket: ResourceToAnalyze = {
  type: "aws:s3/bucket:Bucket", name: "logs", urn: "urn:pulumi:dev::audit::aws:s3/bucket:Bucket::logs",
  properties: { bucket: "audit-logs" },
};

const levels = (result: AnalyzeResult) => result.diagnostics.map((d) => `${d.policyName}:${d.enforcementLevel}`).sort();
const mandatory = (result: AnalyzeResult) => result.diagnostics.filter((d) => d.enforcementLevel === "mandatory");
const only = (result: AnalyzeResult, policy: string): Diagnostic => {
  const found = result.diagnostics.filter((d) => d.policyName === policy);
  expect(found).toHaveLength(1);
  return found[0];
};

let pack: PolicyPackClient;
beforeAll(async () => {
  pack = await startPolicyPack(ROOT);
});
afterAll(async () => {
  await pack?.close();
});
afterEach(async () => {
  await pack.configure({});
  await pack.configureStack({ stack: "dev", project: "audit", tags: {} });
});

describe("the pack as the CLI sees it", () => {
  test("GetAnalyzerInfo names the pack, its version and every policy with compliance metadata", async () => {
    const info = await pack.getAnalyzerInfo();
    const version = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).version;
    expect(info).toMatchObject({ name: "cis-cloudtrail", version, supportsConfig: true });
    expect(info.policies.map((p) => p.name)).toEqual(POLICIES);
    for (const policy of info.policies) {
      expect(policy.description).not.toBe("");
      expect(policy.remediationSteps).not.toBe("");
      expect(policy.url).toMatch(/^https:\/\/docs\.aws\.amazon\.com\//);
      expect(policy.framework?.name).toBe("CIS Amazon Web Services Foundations Benchmark");
      expect(policy.severity).toBeDefined();
    }
    expect(info.policies[0]).toMatchObject({
      enforcementLevel: "mandatory", severity: "high", framework: { version: "3.0.0", reference: "3.1" },
    });
  });

  test("the example config file is valid against every policy's schema", async () => {
    const info = await pack.getAnalyzerInfo();
    const example = JSON.parse(fs.readFileSync(path.join(ROOT, "policy-config.example.json"), "utf8"));
    const ajv = new Ajv({ strict: false });
    expect(Object.keys(example).sort()).toEqual([...POLICIES].sort());
    for (const policy of info.policies) {
      const entry = example[policy.name];
      if (typeof entry === "string") continue;
      const { enforcementLevel, ...options } = entry;
      expect(["advisory", "mandatory", "remediate", "disabled"]).toContain(enforcementLevel);
      const validate = ajv.compile({ type: "object", additionalProperties: false, ...policy.configSchema });
      expect({ policy: policy.name, valid: validate(options), errors: validate.errors }).toMatchObject({ valid: true });
    }
  });
});

describe("the stack policy (AnalyzeStack)", () => {
  test("a stack without any trail is blocked, and the message says so", async () => {
    const result = await pack.analyzeStack([bucket]);
    const d = only(result, STACK);
    expect(d.enforcementLevel).toBe("mandatory");
    expect(d.message).toContain("This stack has no CloudTrail trail");
    expect(d.urn).toBe("");
  });

  test("a stack with a compliant trail gets no diagnostic at all", async () => {
    expect((await pack.analyzeStack([bucket, trail("main", fullTrail)])).diagnostics).toEqual([]);
  });

  test("a single-region, read-only trail is blocked, named, and told how to fix", async () => {
    const result = await pack.analyzeStack([trail("main", {
      s3BucketName: "audit-logs", eventSelectors: [{ readWriteType: "ReadOnly", includeManagementEvents: true }],
    })]);
    const d = only(result, STACK);
    expect(d).toMatchObject({ enforcementLevel: "mandatory", urn: "urn:pulumi:dev::audit::aws:cloudtrail/trail:Trail::main" });
    expect(d.message).toContain("Trail \"main\" is single-region and records only read management events.");
    expect(d.message).toContain("To fix: set isMultiRegionTrail: true; record all management events");
  });

  test("read events on one trail and write events on another are blocked", async () => {
    const result = await pack.analyzeStack([
      trail("reads", { ...fullTrail, eventSelectors: [{ readWriteType: "ReadOnly" }] }),
      trail("writes", { ...fullTrail, eventSelectors: [{ readWriteType: "WriteOnly" }] }),
    ]);
    expect(only(result, STACK).message).toContain("None of the stack's 2 trails complies");
  });

  test("a compliant aws-native trail satisfies the stack", async () => {
    const result = await pack.analyzeStack([
      trail("native", { s3BucketName: "b", isLogging: true, isMultiRegionTrail: true }, "aws-native:cloudtrail:Trail"),
    ]);
    expect(mandatory(result)).toEqual([]);
  });

  test("a deciding value unknown at preview is advisory, names the property, and says pulumi up checks it", async () => {
    const result = await pack.analyzeStack([trail("main", { ...fullTrail, isMultiRegionTrail: UNKNOWN, arn: UNKNOWN })]);
    const d = only(result, STACK);
    expect(d.enforcementLevel).toBe("advisory");
    expect(d.message).toContain("isMultiRegionTrail");
    expect(d.message).toContain("`pulumi up` runs this policy again");
  });

  test("several undecided trails: the advisory names the first and counts the rest", async () => {
    const result = await pack.analyzeStack([
      trail("first", { ...fullTrail, isMultiRegionTrail: UNKNOWN }), trail("second", { ...fullTrail, enableLogging: UNKNOWN }),
    ]);
    const d = only(result, STACK);
    expect(d).toMatchObject({ enforcementLevel: "advisory", urn: "urn:pulumi:dev::audit::aws:cloudtrail/trail:Trail::first" });
    expect(d.message).toContain("(so does one more trail)");
  });

  test("an unknown on a second trail does not matter when another trail complies", async () => {
    const result = await pack.analyzeStack([
      trail("main", fullTrail), trail("later", { ...fullTrail, isMultiRegionTrail: UNKNOWN, eventSelectors: UNKNOWN }),
    ]);
    expect(result.diagnostics).toEqual([]);
  });

  test("secret values are judged by their plain value and never printed", async () => {
    const compliant = await pack.analyzeStack([trail("main", { ...fullTrail, isMultiRegionTrail: secret(true) })]);
    expect(compliant.diagnostics).toEqual([]);
    const result = await pack.analyzeStack([trail("main", { s3BucketName: secret("s3cr3t-bucket-name"), kmsKeyId: secret("s3cr3t-key") })]);
    const text = JSON.stringify(result);
    expect(only(result, STACK).enforcementLevel).toBe("mandatory");
    expect(text).not.toContain("s3cr3t");
  });

  test.each([
    ["an empty property bag", {}],
    ["nulls everywhere", { isMultiRegionTrail: null, eventSelectors: [null], advancedEventSelectors: null }],
    ["wrong types", { isMultiRegionTrail: "true", eventSelectors: "All", enableLogging: 1 }],
    ["5,000 malformed selectors", { isMultiRegionTrail: true, eventSelectors: Array.from({ length: 5000 }, () => ({ readWriteType: 7 })) }],
  ])("malformed input (%s) fails closed without crashing the analyzer", async (_name, properties) => {
    const result = await pack.analyzeStack([trail("bad", properties)]);
    expect(only(result, STACK).enforcementLevel).toBe("mandatory");
  });
});

describe("the resource policies (Analyze)", () => {
  test("a fully configured trail gets no diagnostic at all", async () => {
    expect((await pack.analyze(trail("main", fullTrail))).diagnostics).toEqual([]);
  });

  test("a trail missing only the extras gets advisories, never a block", async () => {
    expect(levels(await pack.analyze(trail("main", { s3BucketName: "b", isMultiRegionTrail: true })))).toEqual([
      "aws-cloudtrail-trail-cloudwatch-logs:advisory", "aws-cloudtrail-trail-kms-encryption:advisory",
      "aws-cloudtrail-trail-log-file-validation:advisory",
    ]);
  });

  test("a single-region data-events trail is legitimate: advisory only", async () => {
    const result = await pack.analyze(trail("data", { ...fullTrail, isMultiRegionTrail: false, eventSelectors: [
      { includeManagementEvents: false, dataResources: [{ type: "AWS::S3::Object", values: ["arn:aws:s3:::bucket/"] }] },
    ] }));
    expect(mandatory(result)).toEqual([]);
    expect(only(result, MEETS).message).toContain("is single-region and records no management events");
  });

  test.each([
    ["basic and advanced selectors both set", { eventSelectors: [{ readWriteType: "All" }], advancedEventSelectors: [
      { fieldSelectors: [{ field: "eventCategory", equals: ["Management"] }] }] }, "advancedEventSelectors"],
    ["multi-region without global service events", { includeGlobalServiceEvents: false }, "includeGlobalServiceEvents is false"],
    ["readWriteType in the wrong case", { eventSelectors: [{ readWriteType: "READONLY" }] }, "eventSelectors[0].readWriteType must be exactly"],
    ["eventCategory with notEquals", { advancedEventSelectors: [{ fieldSelectors: [{ field: "eventCategory", notEquals: ["Data"] }] }] },
      "advancedEventSelectors[0].fieldSelectors[0] uses an operator other than equals"],
    ["a string where a list is expected", { eventSelectors: "All" }, "eventSelectors must be a list, not a string."],
    ["a null list entry", { advancedEventSelectors: [null] }, "advancedEventSelectors[0] is null"],
    ["a non-boolean flag", { enableLogging: "yes" }, "enableLogging must be a boolean, not a string."],
  ])("a configuration AWS rejects (%s) is blocked, naming the property", async (_name, change, text) => {
    const result = await pack.analyze(trail("main", { ...fullTrail, ...change }));
    const d = only(result, VALID);
    expect(d.enforcementLevel).toBe("mandatory");
    expect(d.message).toContain(text);
  });

  test("unknown values that decide nothing (bucket, key, log group, name, data ARNs) give no diagnostic", async () => {
    const result = await pack.analyze(trail("main", {
      ...fullTrail, s3BucketName: UNKNOWN, kmsKeyId: UNKNOWN, cloudWatchLogsGroupArn: UNKNOWN, name: UNKNOWN,
      eventSelectors: [],
      advancedEventSelectors: [
        { fieldSelectors: [{ field: "eventCategory", equals: ["Management"] }] },
        { fieldSelectors: [{ field: "eventCategory", equals: ["Data"] }, { field: "resources.type", equals: ["AWS::S3::Object"] },
          { field: "resources.ARN", startsWiths: [UNKNOWN] }] },
      ],
    }));
    expect(result.diagnostics).toEqual([]);
  });

  test("a deciding unknown gives one advisory from the pack, not the SDK's generic one", async () => {
    const result = await pack.analyze(trail("main", { ...fullTrail, isMultiRegionTrail: UNKNOWN }));
    expect(levels(result)).toEqual([`${MEETS}:advisory`]);
    expect(only(result, MEETS).message).toContain("isMultiRegionTrail is unknown until deploy");
    expect(result.diagnostics.map((d) => d.message).join()).not.toContain("can't run policy");
  });

  test("an unknown that could make AWS reject the trail is advisory in the validity policy", async () => {
    const result = await pack.analyze(trail("main", { ...fullTrail, isMultiRegionTrail: UNKNOWN, includeGlobalServiceEvents: false }));
    expect(mandatory(result)).toEqual([]);
    expect(only(result, VALID).message).toContain("isMultiRegionTrail is unknown at preview");
  });

  test("a non-trail resource is left alone", async () => {
    expect((await pack.analyze(bucket)).diagnostics).toEqual([]);
  });
});

describe("configuration (--policy-pack-config, policy groups)", () => {
  const everything = (level: PolicyConfig["enforcementLevel"]) =>
    Object.fromEntries(POLICIES.map((name) => [name, { enforcementLevel: level }]));
  const badTrail = trail("bad", { s3BucketName: "b", eventSelectors: [{ readWriteType: "ReadOnly" }], enableLogging: "no" });

  test("all policies disabled: no diagnostics", async () => {
    await pack.configure(everything("disabled"));
    expect((await pack.analyze(badTrail)).diagnostics).toEqual([]);
    expect((await pack.analyzeStack([bucket])).diagnostics).toEqual([]);
  });

  test("all policies advisory: advisories only", async () => {
    await pack.configure(everything("advisory"));
    const results = [await pack.analyze(badTrail), await pack.analyzeStack([badTrail])];
    for (const result of results) {
      expect(result.diagnostics.length).toBeGreaterThan(0);
      expect(mandatory(result)).toEqual([]);
    }
  });

  test("allowedExcludedEventSources lets a trail exclude KMS events on purpose", async () => {
    const kmsExcluded = trail("main", {
      ...fullTrail, eventSelectors: [{ excludeManagementEventSources: ["kms.amazonaws.com"], dataResources: [ALL_OBJECTS] }],
    });
    expect(only(await pack.analyzeStack([kmsExcluded]), STACK).message).toContain("from kms.amazonaws.com");
    await pack.configure({ [STACK]: { allowedExcludedEventSources: ["kms.amazonaws.com"] },
      [MEETS]: { allowedExcludedEventSources: ["kms.amazonaws.com"] } });
    expect((await pack.analyzeStack([kmsExcluded])).diagnostics).toEqual([]);
    expect((await pack.analyze(kmsExcluded)).diagnostics).toEqual([]);
  });

  test("scope stacks-with-trails: a stack without a trail is not blocked", async () => {
    await pack.configure({ [STACK]: { scope: "stacks-with-trails" } });
    const result = await pack.analyzeStack([bucket]);
    expect(result.diagnostics).toEqual([]);
    expect(result.notApplicable.map((n) => n.policyName)).toEqual(STACK_POLICIES);
  });

  test("scope tagged-stacks: only a stack tagged as the trail owner must own the trail", async () => {
    await pack.configure({ [STACK]: { scope: "tagged-stacks", ownerStackTag: "audit-owner" } });
    expect((await pack.analyzeStack([bucket])).diagnostics).toEqual([]);
    await pack.configureStack({ stack: "prod", project: "audit", tags: { "audit-owner": "true" } });
    expect(only(await pack.analyzeStack([bucket]), STACK).enforcementLevel).toBe("mandatory");
  });

  test("exemptTrails skips a named trail in the per-trail policies", async () => {
    await pack.configure({ [MEETS]: { exemptTrails: ["data"] } });
    const result = await pack.analyze(trail("data", { ...fullTrail, isMultiRegionTrail: false }));
    expect(result.diagnostics).toEqual([]);
  });

  test("an invalid option value is reported, not ignored", async () => {
    await pack.configure({ [STACK]: { scope: "some-stacks" } });
    const d = only(await pack.analyzeStack([trail("main", fullTrail)]), STACK);
    expect(d).toMatchObject({ enforcementLevel: "mandatory" });
    expect(d.message).toContain("Invalid policy configuration: config option scope must be one of");
  });
});

describe("remediation (enforcement level remediate)", () => {
  const broken = trail("main", {
    s3BucketName: "audit-logs", enableLogging: false, includeGlobalServiceEvents: false, tags: { team: "security" },
    advancedEventSelectors: [
      { fieldSelectors: [{ field: "eventCategory", equals: ["Management"] }, { field: "readOnly", equals: ["true"] }] },
      { fieldSelectors: [{ field: "eventCategory", equals: ["Data"] }, { field: "resources.type", equals: ["AWS::S3::Object"] }] },
    ],
  });

  test("Remediate returns inputs that then pass Analyze and AnalyzeStack", async () => {
    await pack.configure({ [MEETS]: { enforcementLevel: "remediate" } });
    const [remediation] = await pack.remediate(broken);
    expect(remediation.policyName).toBe(MEETS);
    const fixed = { ...broken, properties: remediation.properties ?? {} };
    expect(fixed.properties).toMatchObject({
      s3BucketName: "audit-logs", tags: { team: "security" }, enableLogging: true, isMultiRegionTrail: true,
      includeGlobalServiceEvents: true,
    });
    expect((fixed.properties.advancedEventSelectors as unknown[])[1]).toEqual(
      (broken.properties.advancedEventSelectors as unknown[])[1]);
    expect(mandatory(await pack.analyze(fixed))).toEqual([]);
    expect(levels(await pack.analyze(fixed))).not.toContain(`${MEETS}:advisory`);
    expect((await pack.analyzeStack([{ ...fixed, properties: { ...fixed.properties, enableLogFileValidation: true } }])).diagnostics).toEqual([]);
  });

  test("a secret property stays secret through remediation", async () => {
    await pack.configure({ [MEETS]: { enforcementLevel: "remediate" } });
    const [remediation] = await pack.remediate({ ...broken, properties: { ...broken.properties, kmsKeyId: secret("arn:key") } });
    expect(remediation.properties?.kmsKeyId).toEqual(secret("arn:key"));
  });

  test("a secret nested in a remediated property keeps the property secret", async () => {
    await pack.configure({ [MEETS]: { enforcementLevel: "remediate" } });
    const arn = "arn:aws:s3:::secret-audit-bucket/";
    const [remediation] = await pack.remediate(trail("main", {
      s3BucketName: "b", isMultiRegionTrail: true,
      eventSelectors: [{ readWriteType: "ReadOnly", dataResources: [{ type: "AWS::S3::Object", values: [secret(arn)] }] }],
    }));
    expect(remediation.properties?.eventSelectors).toEqual(secret([
      { readWriteType: "All", dataResources: [{ type: "AWS::S3::Object", values: [arn] }] },
    ]));
  });

  test("a value unknown at preview is not remediated", async () => {
    await pack.configure({ [MEETS]: { enforcementLevel: "remediate" } });
    const unknown = trail("main", { s3BucketName: "b", isMultiRegionTrail: UNKNOWN });
    expect(await pack.remediate(unknown)).toEqual([]);
  });
});

describe("aws-native trails (aws-native:cloudtrail:Trail)", () => {
  const NATIVE = "aws-native:cloudtrail:Trail";
  const nativeFull = {
    s3BucketName: "audit-logs", isLogging: true, isMultiRegionTrail: true, enableLogFileValidation: true,
    kmsKeyId: "arn:aws:kms:us-east-1:123456789012:key/1",
    cloudWatchLogsLogGroupArn: "arn:aws:logs:us-east-1:123456789012:log-group:trail:*",
    eventSelectors: [{ readWriteType: "All", includeManagementEvents: true, dataResources: [ALL_OBJECTS] }],
  };
  const native = (changes: Record<string, unknown>) => trail("native", { ...nativeFull, ...changes }, NATIVE);

  test("a fully configured native trail gets no diagnostic, alone or in its stack", async () => {
    expect((await pack.analyze(native({}))).diagnostics).toEqual([]);
    expect((await pack.analyzeStack([native({})])).diagnostics).toEqual([]);
  });

  test.each([
    ["not logging", { isLogging: false }, "is not logging", "set isLogging: true"],
    ["single-region", { isMultiRegionTrail: false }, "is single-region", "set isMultiRegionTrail: true"],
    ["a read-only basic selector", { eventSelectors: [{ readWriteType: "ReadOnly" }] }, "records only read management events",
      "record all management events"],
    ["a read-only advanced selector", { eventSelectors: [], advancedEventSelectors: [{ fieldSelectors: [
      { field: "eventCategory", equals: ["Management"] }, { field: "readOnly", equals: ["true"] }] }] },
    "records only read management events", "record all management events"],
    ["RDS Data API events excluded", { eventSelectors: [{ excludeManagementEventSources: ["rdsdata.amazonaws.com"] }] },
      "from rdsdata.amazonaws.com", "record all management events"],
    ["a management selector that AWS rejects (eventSource with the singular startsWith)", { eventSelectors: [], advancedEventSelectors: [{ fieldSelectors: [
      { field: "eventCategory", equals: ["Management"] }, { field: "eventSource", startsWith: ["ec2."] }] }] },
    "has a configuration AWS rejects or cannot read (advancedEventSelectors[0].fieldSelectors[1])",
    "fix the properties named by the aws-cloudtrail-trail-valid-configuration policy"],
  ])("%s is blocked by the stack policy", async (_name, change, text, fix) => {
    const d = only(await pack.analyzeStack([native(change)]), STACK);
    expect(d).toMatchObject({ enforcementLevel: "mandatory", urn: `urn:pulumi:dev::audit::${NATIVE}::native` });
    expect(d.message).toContain(text);
    expect(d.message).toContain(`To fix: ${fix}`);
  });

  test("an unknown isLogging is advisory", async () => {
    expect(only(await pack.analyzeStack([native({ isLogging: UNKNOWN })]), STACK)).toMatchObject({ enforcementLevel: "advisory" });
  });

  test("a missing isLogging, which aws-native requires, fails closed", async () => {
    const withoutLogging = Object.fromEntries(Object.entries(nativeFull).filter(([key]) => key !== "isLogging"));
    const result = await pack.analyze(trail("native", withoutLogging, NATIVE));
    expect(only(result, VALID).message).toContain("isLogging is required but not set.");
  });

  test("a mixed stack passes on its compliant native trail", async () => {
    const result = await pack.analyzeStack([trail("classic", { s3BucketName: "b" }), native({})]);
    expect(result.diagnostics).toEqual([]);
  });

  test("remediation fixes a native trail with its own property names", async () => {
    await pack.configure({ [MEETS]: { enforcementLevel: "remediate" } });
    const broken = native({
      isLogging: false, isMultiRegionTrail: false, eventSelectors: [{ readWriteType: "WriteOnly", dataResources: [ALL_OBJECTS] }],
    });
    const [remediation] = await pack.remediate(broken);
    expect(remediation.properties).toMatchObject({ isLogging: true, isMultiRegionTrail: true, eventSelectors: [{ readWriteType: "All" }] });
    const fixed = { ...broken, properties: remediation.properties ?? {} };
    expect((await pack.analyze(fixed)).diagnostics).toEqual([]);
    expect((await pack.analyzeStack([fixed])).diagnostics).toEqual([]);
  });
});

describe("one report per problem", () => {
  test("a malformed trail is reported by the validity policy alone, not again by the per-trail policies", async () => {
    const result = await pack.analyze(trail("main", { ...fullTrail, eventSelectors: "All" }));
    expect(levels(result)).toEqual([`${VALID}:mandatory`]);
  });
});

// Per-trail policies say "not applicable" to every other resource through the SDK's
// args.notApplicable, so the engine and Pulumi Cloud count them as not applicable rather than passed
// (pulumi/pulumi pkg/resource/analyzer/summary.go: passed = all - disabled - not applicable - failed).
describe("not applicable (Analyze and Remediate responses)", () => {
  const NOT_A_TRAIL = "Policy only applies to resources of type 'aws:cloudtrail/trail:Trail' or 'aws-native:cloudtrail:Trail'";
  const RESOURCE_POLICIES = POLICIES.filter((p) => !STACK_POLICIES.includes(p));

  test("a resource that is not a trail: every resource policy is not applicable, with the reason", async () => {
    const result = await pack.analyze(bucket);
    expect(result.diagnostics).toEqual([]);
    expect(result.notApplicable).toEqual(RESOURCE_POLICIES.map((policyName) => ({ policyName, reason: NOT_A_TRAIL })));
  });

  test("a compliant trail: every policy applies, and passes", async () => {
    expect(await pack.analyze(trail("main", fullTrail))).toEqual({ diagnostics: [], notApplicable: [] });
  });

  test("an exempt trail is not applicable to the policy that exempts it", async () => {
    await pack.configure({ "aws-cloudtrail-trail-kms-encryption": { exemptTrails: ["main"] } });
    const result = await pack.analyze(trail("main", { ...fullTrail, kmsKeyId: undefined }));
    expect(result.diagnostics).toEqual([]);
    expect(result.notApplicable).toEqual([
      { policyName: "aws-cloudtrail-trail-kms-encryption", reason: "The trail is listed in this policy's exemptTrails" },
    ]);
  });

  test("Remediate of a resource that is not a trail: the remediating policy is not applicable", async () => {
    await pack.configure({ [MEETS]: { enforcementLevel: "remediate" } });
    expect(await pack.remediateResult(bucket)).toEqual({ remediations: [], notApplicable: [{ policyName: MEETS, reason: NOT_A_TRAIL }] });
    const fixed = await pack.remediateResult(trail("main", { ...fullTrail, isMultiRegionTrail: false }));
    expect(fixed).toMatchObject({ notApplicable: [], remediations: [{ policyName: MEETS }] });
  });

  test("the stack policy applies to a stack without trails, and fails it; the S3 object-level policies say where they judge", async () => {
    const result = await pack.analyzeStack([bucket]);
    const reason = "the stack declares no CloudTrail trail; S3 object-level logging is judged on the stack that declares the " +
      "account's trail, or on the live account with the pack's check-account command";
    expect(result.notApplicable).toEqual([{ policyName: WRITES, reason }, { policyName: READS, reason }]);
    expect(result.diagnostics.map((d) => d.policyName)).toEqual([STACK]);
  });
});
