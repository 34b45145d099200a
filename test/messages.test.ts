// Every message the pack can print, one per problem code and gap code, side by side for review,
// each checked word for word over the Analyzer protocol against the pack as the CLI starts it.
import * as path from "path";
import { GapCode } from "../lib/cis";
import { ProblemCode, parseTrail } from "../lib/trail";
import { PolicyPackClient, startPolicyPack } from "../tools/analyzer/client";
import { ResourceToAnalyze, UNKNOWN } from "../tools/analyzer/types";
import { UNREADABLE_TAG } from "../lib/values";

const ROOT = path.join(__dirname, "..");
const VALID = "aws-cloudtrail-trail-valid-configuration";
const MEETS = "aws-cloudtrail-trail-meets-cis";
const STACK = "aws-cloudtrail-stack-has-cis-trail";
const M = { field: "eventCategory", equals: ["Management"] };
const base = { s3BucketName: "logs", isMultiRegionTrail: true };
const advanced = (...fieldSelectors: object[]) => ({ ...base, advancedEventSelectors: [{ fieldSelectors: [M, ...fieldSelectors] }] });
const DATA = { field: "eventCategory", equals: ["Data"] };
const S3_TYPE = { field: "resources.type", equals: ["AWS::S3::Object"] };
const data = (...fieldSelectors: object[]) => ({ ...base, advancedEventSelectors: [{ fieldSelectors: [DATA, ...fieldSelectors] }] });

/** One row per problem code (the compiler checks none is missing): a trail with it, and its sentence. */
const PROBLEMS: Record<ProblemCode, [unknown, string]> = {
  "unknown-properties": [UNKNOWN, "The trail's properties are unknown as a whole, so its settings cannot be read."],
  "wrong-type": [{ ...base, isMultiRegionTrail: "yes" }, "isMultiRegionTrail must be a boolean, not a string."],
  "null-entry": [{ ...base, eventSelectors: [null] }, "eventSelectors[0] is null, but list entries must not be null."],
  required: [advanced({ equals: ["x"] }), "advancedEventSelectors[0].fieldSelectors[1].field is required but not set."],
  "both-selector-kinds": [{ ...base, eventSelectors: [{}], advancedEventSelectors: [{ fieldSelectors: [M] }] },
    "eventSelectors and advancedEventSelectors are both set, but AWS accepts only one kind of selector on a trail."],
  "too-many-basic-selectors": [{ ...base, eventSelectors: [{}, {}, {}, {}, {}, {}] },
    "eventSelectors has 6 selectors, but AWS accepts at most 5 on a trail."],
  "multi-region-without-global-events": [{ ...base, includeGlobalServiceEvents: false },
    "includeGlobalServiceEvents is false on a multi-region trail, which AWS rejects."],
  "read-write-type": [{ ...base, eventSelectors: [{ readWriteType: "all" }] },
    "eventSelectors[0].readWriteType must be exactly ReadOnly, WriteOnly or All, which AWS compares case-sensitively."],
  "excluded-source": [{ ...base, eventSelectors: [{ excludeManagementEventSources: ["s3.amazonaws.com"] }] },
    "eventSelectors[0].excludeManagementEventSources[0] names a source AWS cannot exclude: only kms.amazonaws.com and " +
    "rdsdata.amazonaws.com can be."],
  "no-field-selectors": [{ ...base, advancedEventSelectors: [{ fieldSelectors: [] }] },
    "advancedEventSelectors[0].fieldSelectors is empty, but AWS requires at least an eventCategory field selector."],
  "no-event-category": [{ ...base, advancedEventSelectors: [{ fieldSelectors: [{ field: "readOnly", equals: ["true"] }] }] },
    "advancedEventSelectors[0].fieldSelectors has no eventCategory field selector, which AWS requires."],
  "event-category-operator": [{ ...base, advancedEventSelectors: [{ fieldSelectors: [{ field: "eventCategory", notEquals: ["Data"] }] }] },
    "advancedEventSelectors[0].fieldSelectors[0] uses an operator other than equals on eventCategory, which AWS rejects."],
  "read-only-operator": [advanced({ field: "readOnly", notEquals: ["true"] }),
    "advancedEventSelectors[0].fieldSelectors[1] uses an operator other than equals on readOnly, which AWS rejects."],
  "read-only-value": [advanced({ field: "readOnly", equals: ["yes"] }),
    "advancedEventSelectors[0].fieldSelectors[1].equals[0] must be \"true\" or \"false\" for the readOnly field."],
  "management-field": [advanced({ field: "eventName", notEquals: ["ConsoleLogin"] }),
    "advancedEventSelectors[0].fieldSelectors[1].field is eventName, a field AWS rejects in a management event selector, " +
    "where it accepts only eventCategory, readOnly and eventSource."],
  "management-event-source": [advanced({ field: "eventSource", equals: ["ec2.amazonaws.com"] }),
    "advancedEventSelectors[0].fieldSelectors[1] filters eventSource other than with notEquals kms.amazonaws.com or " +
    "rdsdata.amazonaws.com, which AWS rejects in a management event selector."],
  "too-many-condition-values": [{ ...base, advancedEventSelectors: Array.from({ length: 501 }, () => ({ fieldSelectors: [M] })) },
    "advancedEventSelectors has 501 condition values in all, but AWS accepts at most 500 on a trail."],
  "too-long": [{ ...base, advancedEventSelectors: [{ name: "n".repeat(1001), fieldSelectors: [M] }] },
    "advancedEventSelectors[0].name is 1001 characters long, but AWS accepts at most 1000."],
  "data-resource-type": [{ ...base, eventSelectors: [{ dataResources: [{ type: "AWS::S3::Bucket", values: ["arn:aws:s3"] }] }] },
    "eventSelectors[0].dataResources[0].type is not a type a basic event selector accepts: AWS takes only AWS::S3::Object, " +
    "AWS::Lambda::Function and AWS::DynamoDB::Table there (other types need advanced event selectors)."],
  "too-many-data-resources": [{ ...base, eventSelectors: [{ dataResources: [{ type: "AWS::S3::Object",
    values: Array.from({ length: 251 }, (_, i) => `arn:aws:s3:::bucket-${i}/`) }] }] },
  "eventSelectors has 251 data resource values in all, but AWS accepts at most 250 on a trail."],
  "data-field": [data(S3_TYPE, { field: "errorCode", equals: ["AccessDenied"] }),
    "advancedEventSelectors[0].fieldSelectors[2].field is errorCode, a field AWS rejects in a data event selector on a trail, " +
    "where it accepts only eventCategory, resources.type, resources.ARN, readOnly, eventName, eventSource, eventType, " +
    "userIdentity.arn and sessionCredentialFromConsole."],
  "no-resources-type": [data({ field: "eventName", equals: ["PutObject"] }),
    "advancedEventSelectors[0].fieldSelectors selects data events without a resources.type field selector, which AWS requires."],
  "resources-type-operator": [data({ field: "resources.type", startsWiths: ["AWS::S3"] }),
    "advancedEventSelectors[0].fieldSelectors[1] uses an operator other than equals on resources.type, which AWS rejects."],
};

const MANAGEMENT_FIX = "record all management events, read and write: remove the event selectors, or use one basic selector " +
  "{ readWriteType: \"All\", includeManagementEvents: true } without excludeManagementEventSources, or an advanced selector " +
  "whose only field selector is eventCategory equals [\"Management\"]";

/** One row per gap code: a trail with that gap alone, and what the per-trail and stack policies say. */
const GAPS: Record<GapCode, [Record<string, unknown>, string, string]> = {
  malformed: [{ ...base, includeGlobalServiceEvents: false }, "",
    "Trail \"main\" has a configuration AWS rejects or cannot read (includeGlobalServiceEvents). To fix: fix the properties " +
    "named by the aws-cloudtrail-trail-valid-configuration policy."],
  "not-logging": [{ ...base, enableLogging: false }, "The trail \"main\" is not logging. To fix: set enableLogging: true.",
    "Trail \"main\" is not logging. To fix: set enableLogging: true."],
  "single-region": [{ s3BucketName: "logs" }, "The trail \"main\" is single-region. To fix: set isMultiRegionTrail: true.",
    "Trail \"main\" is single-region. To fix: set isMultiRegionTrail: true."],
  "no-global-events": [{ s3BucketName: "logs", includeGlobalServiceEvents: false },
    "The trail \"main\" is single-region and excludes global service events (IAM, STS, CloudFront). To fix: set " +
    "isMultiRegionTrail: true; set includeGlobalServiceEvents: true.",
    "Trail \"main\" is single-region and excludes global service events (IAM, STS, CloudFront). To fix: set " +
    "isMultiRegionTrail: true; set includeGlobalServiceEvents: true."],
  "management-events": [{ ...base, eventSelectors: [{ readWriteType: "ReadOnly" }] },
    `The trail "main" records only read management events. To fix: ${MANAGEMENT_FIX}.`,
    `Trail "main" records only read management events. To fix: ${MANAGEMENT_FIX}.`],
};

/** The messages about values unknown at preview, and the stack without a trail. */
const OTHERS: [string, Record<string, unknown> | undefined, string, string][] = [
  ["a flag that may make AWS reject the trail", { ...base, includeGlobalServiceEvents: UNKNOWN }, VALID,
    "The trail \"main\" may be rejected by AWS: includeGlobalServiceEvents is unknown at preview, and a multi-region trail " +
    "must include global service events. `pulumi up` checks it again."],
  ["a selector list that may be the second kind", { ...base, eventSelectors: UNKNOWN, advancedEventSelectors: [{ fieldSelectors: [M] }] },
    VALID, "The trail \"main\" may be rejected by AWS: eventSelectors is unknown at preview, and a trail accepts one kind of " +
    "event selector, not both. `pulumi up` checks it again."],
  ["a per-trail verdict that waits for deploy", { ...base, enableLogging: UNKNOWN }, MEETS,
    "The trail \"main\" cannot be judged at preview: enableLogging is unknown until deploy. `pulumi up` checks it again with " +
    "the real values."],
  ["a stack verdict that waits for deploy", { ...base, enableLogging: UNKNOWN }, STACK,
    "No trail is known to meet CIS 3.1 at preview: trail \"main\" depends on enableLogging, unknown until deploy. `pulumi up` " +
    "runs this policy again with the real values and blocks the update if no trail complies."],
  ["a stack without a trail", undefined, STACK,
    "This stack has no CloudTrail trail (aws:cloudtrail/trail:Trail or aws-native:cloudtrail:Trail). Add a trail that is " +
    "multi-region, logging, includes global service events and records all management events, read and write. If another " +
    "stack owns this account's trail, set this policy's scope to stacks-with-trails or tagged-stacks."],
];

const WRITES = "aws-cloudtrail-s3-object-write-events";
const READS = "aws-cloudtrail-s3-object-read-events";
const objectFix = (access: string, readOnly: string, readWriteType: string) =>
  `record S3 object-level ${access} events for all buckets: add an advanced selector whose field selectors are eventCategory ` +
  `equals ["Data"], resources.type equals ["AWS::S3::Object"] and readOnly equals ["${readOnly}"] (or no readOnly, for read and ` +
  "write), beside the management selector, or a basic selector with dataResources [{ type: \"AWS::S3::Object\", values: " +
  `["arn:aws:s3"] }] and readWriteType "All" (or "${readWriteType}" beside a selector that records all management events)`;
const WRITE_FIX = objectFix("write", "false", "WriteOnly");
const READ_FIX = objectFix("read", "true", "ReadOnly");
const oneBucket = { ...base, eventSelectors: [{ dataResources: [{ type: "AWS::S3::Object", values: ["arn:aws:s3:::data/"] }] }] };
const s3Bucket = (name: string, bucket: string): ResourceToAnalyze => ({
  type: "aws:s3/bucket:Bucket", name, urn: `urn:pulumi:dev::audit::aws:s3/bucket:Bucket::${name}`, properties: { bucket },
});

/** What the S3 object-level logging policies say: [case, resources, config, policy, message]. */
const OBJECT_MESSAGES: [string, () => ResourceToAnalyze[], Record<string, unknown>, string, string][] = [
  ["a trail without data events", () => [trail(base)], {}, WRITES,
    `Trail "main" records no S3 object-level write events. To fix: ${WRITE_FIX}.`],
  ["a trail narrowed to one bucket", () => [trail(oneBucket)], {}, READS,
    "Trail \"main\" records S3 object-level read events only for some buckets or objects (narrowed by " +
    `eventSelectors[0].dataResources[0].values), not for every current and future bucket. To fix: ${READ_FIX}.`],
  ["a trail narrowed to one bucket, in a stack declaring another", () => [trail(oneBucket), s3Bucket("uploads", "uploads-prod")], {}, WRITES,
    "Trail \"main\" records S3 object-level write events only for some buckets or objects (narrowed by " +
    "eventSelectors[0].dataResources[0].values), not for every current and future bucket, and leaves out bucket \"uploads\". " +
    `To fix: ${WRITE_FIX}.`],
  ["several trails, none enough on its own", () => [trail(base), { ...trail({ ...base, isMultiRegionTrail: false }), name: "regional",
    urn: "urn:pulumi:dev::audit::aws:cloudtrail/trail:Trail::regional" }], {}, WRITES,
  "Trail \"main\" records no S3 object-level write events. None of the stack's 2 trails does; CIS asks for one logging, " +
    `multi-region trail that records S3 object-level write events for every bucket. To fix: ${WRITE_FIX}.`],
  ["a trail stopped and single-region", () => [trail({ s3BucketName: "logs", enableLogging: false,
    eventSelectors: [{ dataResources: [{ type: "AWS::S3::Object", values: ["arn:aws:s3"] }] }] })], {}, WRITES,
  "Trail \"main\" is not logging and is single-region. To fix: set enableLogging: true; set isMultiRegionTrail: true."],
  ["a declared bucket the trail does not record", () => [trail(oneBucket), s3Bucket("uploads", "uploads-prod")],
    { [WRITES]: { scope: "declared-buckets" } }, WRITES,
    `Trail "main" does not record S3 object-level write events for bucket "uploads". To fix: ${WRITE_FIX}.`],
  ["a verdict that waits for deploy", () => [trail({ ...base, eventSelectors: [{ dataResources: [{ type: "AWS::S3::Object", values: [UNKNOWN] }] }] })],
    {}, READS,
    "No trail is known to record S3 object-level read events for every bucket at preview: trail \"main\" depends on " +
    "eventSelectors[0].dataResources[0].values[0], unknown until deploy. `pulumi up` runs this policy again with the real values."],
  ["an invalid scope", () => [trail(base)], { [READS]: { scope: "some-buckets" } }, READS,
    "Invalid policy configuration: config option scope must be one of all-buckets, declared-buckets."],
];

/** Why the S3 object-level logging policies do not apply: [case, resources, config, reason]. */
const OBJECT_NOT_APPLICABLE: [string, () => ResourceToAnalyze[], Record<string, unknown>, string][] = [
  ["a stack without a trail", () => [s3Bucket("uploads", "uploads-prod")], {},
    "the stack declares no CloudTrail trail; S3 object-level logging is judged on the stack that declares the account's trail, " +
    "or on the live account with the pack's check-account command"],
  ["scope declared-buckets in a stack without a bucket", () => [trail(base)], { [WRITES]: { scope: "declared-buckets" } },
    "the stack declares no S3 bucket, and the policy's scope is declared-buckets"],
];

const trail = (properties: Record<string, unknown>): ResourceToAnalyze => ({
  type: "aws:cloudtrail/trail:Trail", name: "main", urn: "urn:pulumi:dev::audit::aws:cloudtrail/trail:Trail::main", properties,
});

/** The message without the SDK's "description\n" prefix. */
const text = (message: string) => message.slice(message.indexOf("\n") + 1);

let pack: PolicyPackClient;
beforeAll(async () => {
  pack = await startPolicyPack(ROOT);
});
afterAll(async () => {
  await pack?.close();
});

describe("validity problems: one plain sentence each, naming the property", () => {
  test.each(Object.entries(PROBLEMS))("%s", async (code, [props, sentence]) => {
    const problems = parseTrail("aws", props).problems;
    expect(problems.map((p) => [p.code, p.message])).toEqual([[code, sentence]]);
    expect(sentence).toMatch(/^[^.]*(\.[^ .][^.]*)*\.$/); // one sentence: no full stop before the end but inside names
    if (typeof props !== "object") return; // the engine always sends an object
    const result = await pack.analyze(trail(props as Record<string, unknown>));
    const valid = result.diagnostics.filter((d) => d.policyName === VALID).map((d) => text(d.message));
    expect(valid).toEqual([`The trail "main" has a configuration AWS rejects or that cannot be read. ${sentence}`]);
  });
});

describe("gaps: what the per-trail policy and the stack policy say", () => {
  test.each(Object.entries(GAPS))("%s", async (_code, [props, perTrail, stack]) => {
    const analyzed = await pack.analyze(trail(props));
    expect(analyzed.diagnostics.filter((d) => d.policyName === MEETS).map((d) => text(d.message))).toEqual(perTrail ? [perTrail] : []);
    const stacked = await pack.analyzeStack([trail(props)]);
    expect(stacked.diagnostics.filter((d) => d.policyName === STACK).map((d) => text(d.message))).toEqual([stack]);
  });
});

describe("unknowns and the stack without a trail", () => {
  test.each(OTHERS)("%s", async (_name, props, policy, message) => {
    const result = props ? [...(await pack.analyze(trail(props))).diagnostics, ...(await pack.analyzeStack([trail(props)])).diagnostics]
      : (await pack.analyzeStack([])).diagnostics;
    expect(result.filter((d) => d.policyName === policy).map((d) => text(d.message))).toEqual([message]);
  });
});

describe("S3 object-level logging: what the two policies say", () => {
  afterEach(async () => {
    await pack.configure({});
  });

  test.each(OBJECT_MESSAGES)("%s", async (_name, resources, config, policy, message) => {
    await pack.configure(config as never);
    const result = await pack.analyzeStack(resources());
    expect(result.diagnostics.filter((d) => d.policyName === policy).map((d) => text(d.message))).toEqual([message]);
  });

  test.each(OBJECT_NOT_APPLICABLE)("not applicable: %s", async (_name, resources, config, reason) => {
    await pack.configure(config as never);
    const result = await pack.analyzeStack(resources());
    const policy = Object.keys(config)[0];
    const expected = policy ? [{ policyName: policy, reason }] : [{ policyName: WRITES, reason }, { policyName: READS, reason }];
    expect(result.notApplicable.filter((n) => n.policyName === WRITES || n.policyName === READS)).toEqual(expected);
  });
});

describe("nothing from a program reaches a message raw", () => {
  test("a field AWS does not document is not echoed: the value could be anything, a secret included", async () => {
    const props = advanced({ field: "s3cr3t-token-value", equals: ["x"] });
    const [problem] = parseTrail("aws", props).problems;
    expect(problem.message).toBe(
      "advancedEventSelectors[0].fieldSelectors[1].field names a field AWS does not document, which AWS rejects in a " +
      "management event selector, where it accepts only eventCategory, readOnly and eventSource.");
    const result = await pack.analyze(trail(props));
    expect(result.diagnostics.length).toBeGreaterThan(0);
    expect(JSON.stringify(result.diagnostics)).not.toContain("s3cr3t-token-value");
  });

  test("a trail name with control characters is quoted escaped in every policy's message", async () => {
    const name = "evil\u001b]0;title\u0007\r\nPolicies: passed\u202e";
    const resource = { ...trail({ s3BucketName: "logs", eventSelectors: [{ readWriteType: "ReadOnly" }] }), name };
    const messages = [...(await pack.analyze(resource)).diagnostics, ...(await pack.analyzeStack([resource])).diagnostics]
      .map((d) => text(d.message));
    expect(messages.length).toBeGreaterThanOrEqual(2);
    for (const message of messages) {
      expect(message).toContain('"evil\\u001b]0;title\\u0007\\r\\nPolicies: passed\\u202e"');
      expect(message).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202e]/);
    }
  });
});

describe("values that could not be read from AWS: the AWS error, never a deploy", () => {
  const DENIED = "AccessDeniedException: User: arn:aws:iam::100000000007:user/auditor is not authorized to perform: cloudtrail:GetTrailStatus";
  const URN = trail({}).urn;
  const other = (properties: Record<string, unknown>): ResourceToAnalyze =>
    ({ ...trail(properties), name: "audit", urn: "urn:pulumi:dev::audit::aws:cloudtrail/trail:Trail::audit" });
  const reasons = (unread: Record<string, Record<string, string>>) => JSON.stringify(unread);
  afterEach(() => pack.configureStack({ tags: {} }));

  /** What the check tells the pack (the tag's value), the trails, the policy, and what it says. */
  const ROWS: [string, string, ResourceToAnalyze[], string, string[]][] = [
    ["the per-trail verdict", reasons({ [URN]: { enableLogging: DENIED } }), [trail({ ...base, enableLogging: UNKNOWN })], MEETS,
      [`The trail "main" cannot be judged: enableLogging could not be read (${DENIED}).`]],
    ["the stack verdict", reasons({ [URN]: { enableLogging: DENIED } }), [trail({ ...base, enableLogging: UNKNOWN })], STACK,
      [`No trail is known to meet CIS 3.1: for trail "main", enableLogging could not be read (${DENIED}).`]],
    ["the stack verdict with two unreadable trails", reasons({ [URN]: { enableLogging: DENIED }, [other({}).urn]: { enableLogging: DENIED } }),
      [trail({ ...base, enableLogging: UNKNOWN }), other({ ...base, enableLogging: UNKNOWN })], STACK,
      [`No trail is known to meet CIS 3.1: for trail "main", enableLogging could not be read (${DENIED}); the same holds for one more trail.`]],
    ["a setting policy", reasons({ [URN]: { enableLogFileValidation: DENIED } }), [trail({ ...base, enableLogFileValidation: UNKNOWN })],
      "aws-cloudtrail-trail-log-file-validation", [`The trail "main" cannot be judged: enableLogFileValidation could not be read (${DENIED}).`]],
    ["validity, which AWS already accepted", reasons({ [URN]: { eventSelectors: DENIED, advancedEventSelectors: DENIED } }),
      [trail({ ...base, eventSelectors: UNKNOWN, advancedEventSelectors: UNKNOWN })], VALID, []],
    ["an error with control characters, shown escaped", reasons({ [URN]: { enableLogging: "TimeoutError: no\u001b[2J answer" } }),
      [trail({ ...base, enableLogging: UNKNOWN })], MEETS, ['The trail "main" cannot be judged: enableLogging could not be read (TimeoutError: no\\u001b[2J answer).']],
  ];

  test.each(ROWS)("%s", async (_name, tag, resources, policy, messages) => {
    await pack.configureStack({ tags: { [UNREADABLE_TAG]: tag } });
    const diagnostics = [...(await Promise.all(resources.map((r) => pack.analyze(r)))).flatMap((r) => r.diagnostics),
      ...(await pack.analyzeStack(resources)).diagnostics];
    expect(diagnostics.filter((d) => d.policyName === policy).map((d) => text(d.message))).toEqual(messages);
    for (const d of diagnostics) expect(d.message).not.toMatch(/preview|deploy|pulumi up/);
  });

  test.each([
    ["a value the tag does not name", reasons({ [URN]: { eventSelectors: DENIED } })],
    ["a tag that is not JSON", "{not json"],
  ])("%s keeps the preview's words", async (_name, tag) => {
    await pack.configureStack({ tags: { [UNREADABLE_TAG]: tag } });
    const result = await pack.analyze(trail({ ...base, enableLogging: UNKNOWN }));
    expect(result.diagnostics.filter((d) => d.policyName === MEETS).map((d) => text(d.message))).toEqual([
      "The trail \"main\" cannot be judged at preview: enableLogging is unknown until deploy. `pulumi up` checks it again with the real values."]);
  });
});
