// The offline preview against the providers' own preview: for each fixture program with classic,
// aws-native and mixed trails, the trail inputs and planned outputs the preview sends are those the
// provider would report (from its schema and source), and the pack's verdicts over the Analyzer
// protocol are the same on both.
import * as fs from "fs";
import * as path from "path";

import { PolicyPackClient, startPolicyPack } from "../tools/analyzer/client";
import { UNKNOWN } from "../tools/analyzer/types";
import { ReportedDiagnostic, analyzeWith } from "../tools/preview/analyze";
import { ProgramRun, runProgram } from "../tools/preview/program";
import { PreviewResource } from "../tools/preview/resources";
import { readStateExport } from "../tools/preview/state";

const ROOT = path.join(__dirname, "..");
const PROGRAMS = path.join(__dirname, "fixtures", "programs");
const STACK = "aws-cloudtrail-stack-has-cis-trail";
const CIS_POLICIES = [STACK, "aws-cloudtrail-trail-meets-cis", "aws-cloudtrail-trail-valid-configuration"];

type Props = Record<string, unknown>;

// ---- the providers' preview, from their schemas ----

/** AWS::CloudTrail::Trail readOnlyProperties (aws-cloudformation-schema/aws-cloudtrail-trail.json in pulumi-aws-native). */
const NATIVE_READ_ONLY = ["arn", "snsTopicArn"];

/** terraform-provider-aws resourceTrail: `Default:` values, top level and per event_selector block. */
const CLASSIC_DEFAULTS = {
  enableLogFileValidation: false, enableLogging: true, includeGlobalServiceEvents: true, isMultiRegionTrail: false,
  isOrganizationTrail: false,
};
const CLASSIC_SELECTOR_DEFAULTS = { includeManagementEvents: true, readWriteType: "All" };
/** Computed attributes: arn, home_region, sns_topic_arn, tags_all, and region (Optional and Computed). */
const CLASSIC_COMPUTED = ["arn", "homeRegion", "snsTopicArn", "tagsAll", "region"];

const unknowns = (keys: string[], set: Props) => Object.fromEntries(keys.filter((k) => !(k in set)).map((k) => [k, UNKNOWN]));

/** aws-native: Check keeps the inputs; preview outputs are the inputs and unknown read-only properties. */
function nativePreview(written: Props): { inputs: Props; outputs: Props } {
  return { inputs: written, outputs: { ...written, ...unknowns(NATIVE_READ_ONLY, written), id: UNKNOWN } };
}

/** aws (bridge): Check adds schema defaults; the planned state adds unknown computed attributes. */
function classicPreview(written: Props): { inputs: Props; outputs: Props } {
  const inputs: Props = { ...CLASSIC_DEFAULTS, ...written };
  if (Array.isArray(written.eventSelectors)) {
    inputs.eventSelectors = written.eventSelectors.map((s) => ({ ...CLASSIC_SELECTOR_DEFAULTS, ...(s as Props) }));
  }
  return { inputs, outputs: { ...inputs, ...unknowns(CLASSIC_COMPUTED, inputs), id: UNKNOWN } };
}

// ---- what each fixture program writes for its trails ----

const MANAGEMENT = { field: "eventCategory", equals: ["Management"] };
const KMS = "arn:aws:kms:us-east-1:123456789012:key/trail";
const LOG_GROUP = "arn:aws:logs:us-east-1:123456789012:log-group:trail:*";
const ROLE = "arn:aws:iam::123456789012:role/trail-to-logs";
/** The bucket's id is computed by its provider, so unknown at preview. */
const nativeBase = {
  s3BucketName: UNKNOWN, isLogging: true, isMultiRegionTrail: true, includeGlobalServiceEvents: true,
  enableLogFileValidation: true, kmsKeyId: KMS, cloudWatchLogsLogGroupArn: LOG_GROUP, cloudWatchLogsRoleArn: ROLE,
};

interface Scenario {
  /** Run once with every scenario's trails (stack `all`), each scenario judged on its own trails. */
  program: string;
  /** The trails as the provider's preview reports them, by name. */
  trails: Record<string, { inputs: Props; outputs: Props }>;
  /** Whether a real preview fails on the stack policy; a passing one gets no CIS diagnostic at all. */
  blocked: boolean;
}

const SCENARIOS: [string, Scenario][] = [
  ["classic: a compliant trail passes", {
    program: "compliant-ts", blocked: false, trails: {
      main: classicPreview({
        name: "main", s3BucketName: UNKNOWN, isMultiRegionTrail: true, includeGlobalServiceEvents: true, enableLogging: true,
        enableLogFileValidation: true, eventSelectors: [{ readWriteType: "All", includeManagementEvents: true }],
      }),
    },
  }],
  ["classic: a single-region read-only trail is blocked", {
    program: "noncompliant-ts", blocked: true, trails: {
      readonly: classicPreview({
        s3BucketName: UNKNOWN, isMultiRegionTrail: false, eventSelectors: [{ readWriteType: "ReadOnly", includeManagementEvents: true }],
      }),
    },
  }],
  ["aws-native: advanced selectors with readOnly equals true are blocked", {
    program: "native-trails-ts", blocked: true, trails: {
      readonly: nativePreview({
        ...nativeBase, advancedEventSelectors: [{ name: "Reads", fieldSelectors: [MANAGEMENT, { field: "readOnly", equals: ["true"] }] }],
      }),
    },
  }],
  ["aws-native: an eventSource exclusion of KMS is blocked", {
    program: "native-trails-ts", blocked: true, trails: {
      "kms-excluded": nativePreview({
        ...nativeBase,
        advancedEventSelectors: [{ fieldSelectors: [MANAGEMENT, { field: "eventSource", notEquals: ["kms.amazonaws.com"] }] }],
      }),
    },
  }],
  ["aws-native: data events only is blocked", {
    program: "native-trails-ts", blocked: true, trails: {
      "data-only": nativePreview({
        ...nativeBase, advancedEventSelectors: [{
          name: "S3 objects",
          fieldSelectors: [{ field: "eventCategory", equals: ["Data"] }, { field: "resources.type", equals: ["AWS::S3::Object"] }],
        }],
      }),
    },
  }],
  ["aws-native: a basic selector excluding rdsdata is blocked", {
    program: "native-trails-ts", blocked: true, trails: {
      "basic-excluded": nativePreview({
        ...nativeBase, eventSelectors: [{ readWriteType: "All", excludeManagementEventSources: ["rdsdata.amazonaws.com"] }],
      }),
    },
  }],
  ["aws-native: a compliant trail passes with no advisory", {
    program: "native-trails-ts", blocked: false, trails: {
      compliant: nativePreview({ ...nativeBase, advancedEventSelectors: [{ name: "Management events", fieldSelectors: [MANAGEMENT] }] }),
    },
  }],
  ["mixed: aws-native read-only beside classic write-only is blocked", {
    program: "mixed-providers-ts", blocked: true, trails: {
      "split-native": nativePreview({ ...nativeBase, includeGlobalServiceEvents: undefined, eventSelectors: [{ readWriteType: "ReadOnly" }] }),
      "split-classic": classicPreview({
        s3BucketName: UNKNOWN, isMultiRegionTrail: true, enableLogFileValidation: true, kmsKeyId: KMS,
        cloudWatchLogsGroupArn: LOG_GROUP, cloudWatchLogsRoleArn: ROLE, eventSelectors: [{ readWriteType: "WriteOnly" }],
      }),
    },
  }],
  ["mixed: two compliant trails pass with no advisory", {
    program: "mixed-providers-ts", blocked: false, trails: {
      "compliant-native": nativePreview({ ...nativeBase, includeGlobalServiceEvents: undefined, eventSelectors: [{ readWriteType: "All" }] }),
      "compliant-classic": classicPreview({
        s3BucketName: UNKNOWN, isMultiRegionTrail: true, enableLogFileValidation: true, kmsKeyId: KMS,
        cloudWatchLogsGroupArn: LOG_GROUP, cloudWatchLogsRoleArn: ROLE, eventSelectors: [{ readWriteType: "All" }],
      }),
    },
  }],
  ["classic: unknown eventSelectors cannot rescue known read-only advanced selectors", {
    program: "unknown-selectors-ts", blocked: true, trails: {
      classic: classicPreview({
        s3BucketName: UNKNOWN, isMultiRegionTrail: true, eventSelectors: UNKNOWN,
        advancedEventSelectors: [{ fieldSelectors: [MANAGEMENT, { field: "readOnly", equals: ["true"] }] }],
      }),
    },
  }],
  ["aws-native: unknown advancedEventSelectors cannot rescue a known write-only basic selector", {
    program: "unknown-selectors-ts", blocked: true, trails: {
      native: nativePreview({
        s3BucketName: UNKNOWN, isLogging: true, isMultiRegionTrail: true, eventSelectors: [{ readWriteType: "WriteOnly" }],
        advancedEventSelectors: UNKNOWN,
      }),
    },
  }],
];

/** Drops the keys a program leaves undefined, as the SDK does before registering. */
function defined(props: Props): Props {
  return JSON.parse(JSON.stringify(props));
}

const isTrail = (r: PreviewResource) => r.type === "aws:cloudtrail/trail:Trail" || r.type === "aws-native:cloudtrail:Trail";
const summary = (ds: ReportedDiagnostic[]) => ds.map((d) => `${d.stage} ${d.policyName} ${d.enforcementLevel} ${d.urn}: ${d.message}`).sort();

let pack: PolicyPackClient;
beforeAll(async () => {
  pack = await startPolicyPack(ROOT);
});
afterAll(async () => {
  await pack?.close();
});

async function verdicts(resources: PreviewResource[], stack: string, project: string): Promise<ReportedDiagnostic[]> {
  const run = await analyzeWith(pack, ROOT, resources, { packDir: ROOT, stack, project, organization: "organization", applyRemediations: true });
  return run.diagnostics;
}

/** One run per program; programs with scenario stacks run with all of them at once. */
const runs = new Map<string, Promise<ProgramRun>>();
function runOnce(program: string): Promise<ProgramRun> {
  let run = runs.get(program);
  if (!run) {
    const dir = path.join(PROGRAMS, program);
    const stack = fs.existsSync(path.join(dir, "Pulumi.all.yaml")) ? "all" : undefined;
    run = runProgram(dir, { stack, onOutput: () => undefined });
    runs.set(program, run);
  }
  return run;
}

describe("the offline preview sends what the provider's own preview reports, and gets the same verdicts", () => {
  test.each(SCENARIOS)("%s", async (_name, scenario) => {
    const run = await runOnce(scenario.program);
    // The scenario's trails, beside every other resource of the program.
    const resources = run.resources.filter((r) => !isTrail(r) || r.name in scenario.trails);
    const trails = resources.filter(isTrail);
    expect(trails.map((t) => t.name).sort()).toEqual(Object.keys(scenario.trails).sort());
    for (const trail of trails) {
      const expected = scenario.trails[trail.name];
      expect({ name: trail.name, inputs: trail.inputs }).toEqual({ name: trail.name, inputs: defined(expected.inputs) });
      expect({ name: trail.name, outputs: trail.outputs }).toEqual({ name: trail.name, outputs: defined(expected.outputs) });
    }

    // The same resources with the provider's values put in: the pack must say the same.
    const providerResources = resources.map((r) => (isTrail(r)
      ? { ...r, inputs: defined(scenario.trails[r.name].inputs), outputs: defined(scenario.trails[r.name].outputs) } : r));
    const { stack, name } = { stack: run.project.stack, name: run.project.name };
    const offline = await verdicts(resources, stack, name);
    expect(summary(offline)).toEqual(summary(await verdicts(providerResources, stack, name)));

    const mandatory = offline.filter((d) => d.policyName === STACK && d.enforcementLevel === "mandatory");
    expect(mandatory).toHaveLength(scenario.blocked ? 1 : 0);
    if (!scenario.blocked) {
      expect(offline.filter((d) => CIS_POLICIES.includes(d.policyName))).toEqual([]);
    }
  });
});

describe("resources read with get, in a stack export", () => {
  test("are judged by what the engine sends: lookup inputs skipped per trail, read outputs in the stack policy", async () => {
    const state = readStateExport(path.join(__dirname, "fixtures", "states", "read-resources.json"));
    const reads = state.resources.filter(isTrail);
    // Recorded as `pulumi policy analyze` sends them: the lookup's (empty) inputs, the outputs AWS reported.
    expect(reads.map((r) => [r.name, r.inputs, r.analyze])).toEqual([["org-trail", {}, true], ["data-trail", {}, true]]);
    const diagnostics = await verdicts(state.resources, state.stack, state.project);
    // The multi-region organization trail read from eu-west-1 meets CIS 3.1; nothing is said about the lookups
    // (it records no S3 object-level events, which test/object-logging.test.ts covers).
    expect(diagnostics.filter((d) => CIS_POLICIES.includes(d.policyName))).toEqual([]);

    // The same export without the compliant trail: the data trail's outputs are what the stack policy judges.
    const dataOnly = state.resources.filter((r) => r.name !== "org-trail");
    const cis = (await verdicts(dataOnly, state.stack, state.project)).filter((d) => CIS_POLICIES.includes(d.policyName));
    expect(summary(cis)).toEqual([
      expect.stringMatching(/^stack aws-cloudtrail-stack-has-cis-trail mandatory .*data-trail: [\s\S]*Trail "data-trail" is single-region and records no management events\./),
    ]);
  });
});
