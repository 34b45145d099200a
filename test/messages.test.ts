// Every message the pack can print, one per problem code and gap code, side by side for review,
// each checked word for word over the Analyzer protocol against the pack as the CLI starts it.
import * as path from "path";
import { GapCode } from "../lib/cis";
import { ProblemCode, parseTrail } from "../lib/trail";
import { PolicyPackClient, startPolicyPack } from "../tools/analyzer/client";
import { ResourceToAnalyze, UNKNOWN } from "../tools/analyzer/types";

const ROOT = path.join(__dirname, "..");
const VALID = "aws-cloudtrail-trail-valid-configuration";
const MEETS = "aws-cloudtrail-trail-meets-cis";
const STACK = "aws-cloudtrail-stack-has-cis-trail";
const M = { field: "eventCategory", equals: ["Management"] };
const base = { s3BucketName: "logs", isMultiRegionTrail: true };
const advanced = (...fieldSelectors: object[]) => ({ ...base, advancedEventSelectors: [{ fieldSelectors: [M, ...fieldSelectors] }] });

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
