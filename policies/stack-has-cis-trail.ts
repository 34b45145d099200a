/**
 * The stack has at least one CloudTrail trail that is logging, multi-region, includes global
 * service events and records all management events, read and write, from every source.
 *
 * Severity: high. Framework: CIS AWS Foundations Benchmark v3.0.0, control 3.1 (2.1 in v1.2.0,
 * 3.1 in v1.4.0 to v5.0.0, 4.1 in v6.0.0). Also AWS Security Hub CloudTrail.1.
 * https://docs.aws.amazon.com/awscloudtrail/latest/userguide/receive-cloudtrail-log-files-from-multiple-regions.html
 */

import { ReportViolation, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import { Requirements, TrailInStack, describeFixes, describeGaps, judgeStack } from "../lib/cis";
import { errorMessage, firstLine } from "../lib/text";
import {
  CIS_V3, TRAIL_TYPE_LIST, capitalize, cisFramework, readConfig, readRequirements, reportConfigProblems, reportUndecidedStack,
  requirementsSchema, schema, trailLabel, trailOf,
} from "./common";
import type { LiveAccountOptions } from "./live-account";
import { reportAdvisory } from "./sdk-internals";

const SCOPES = ["every-stack", "stacks-with-trails", "tagged-stacks"] as const;
export const DEFAULT_OWNER_TAG = "cis-cloudtrail-owner";
const UNREADABLE_LEVELS = ["advisory", "block"] as const;
export const DEFAULT_LIVE_ACCOUNT_TIMEOUT = 20;
const MAX_LIVE_ACCOUNT_TIMEOUT = 300;

/**
 * A stack that is not the owner of its account's trail, judged on the accounts its AWS providers
 * deploy to. The reader and the AWS SDK are loaded here, on first use, never at pack start.
 */
async function judgeLive(args: StackValidationArgs, report: ReportViolation, options: LiveAccountOptions): Promise<void> {
  let live: typeof import("./live-account");
  try {
    live = await import("./live-account");
  } catch (err) {
    reportAdvisory(report, `liveAccount could not load the AWS SDK, so no live account was read: ${firstLine(errorMessage(err)).slice(0, 200)}.`);
    return;
  }
  const targets = live.stackTargets(args.resources);
  if (targets.length === 0) args.notApplicable("the stack declares no trail and has no AWS provider, so it deploys into no AWS account (liveAccount)");
  await live.judgeLiveAccounts(targets, report, options);
}

export const stackHasCisTrail: StackValidationPolicy = {
  name: "aws-cloudtrail-stack-has-cis-trail",
  description:
    "CIS 3.1: the stack must have a CloudTrail trail that is logging, multi-region, includes global service " +
    "events and records all management events, read and write.",
  enforcementLevel: "mandatory",
  severity: "high",
  framework: cisFramework(CIS_V3, "3.1", "Ensure CloudTrail is enabled in all regions"),
  tags: ["cloudtrail", "logging", "cis-v1.2.0-2.1", "cis-v1.4.0-3.1", "cis-v5.0.0-3.1", "cis-v6.0.0-4.1", "securityhub-cloudtrail.1"],
  remediationSteps:
    "Create (or fix) one aws.cloudtrail.Trail with isMultiRegionTrail: true, enableLogging: true and " +
    "includeGlobalServiceEvents: true, and either no event selectors, a basic selector with readWriteType \"All\" " +
    "and includeManagementEvents true, or an advanced selector whose only condition is eventCategory equals " +
    "[\"Management\"]. An organization trail in the management account covers member accounts.",
  url: "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/receive-cloudtrail-log-files-from-multiple-regions.html",
  configSchema: schema({
    ...requirementsSchema,
    scope: {
      type: "string",
      enum: [...SCOPES],
      default: "every-stack",
      description: "Which stacks must own a compliant trail: every-stack; stacks-with-trails (stacks without a trail pass, for organizations where one stack owns the account trail); tagged-stacks (only stacks carrying the ownerStackTag).",
    },
    ownerStackTag: {
      type: "string",
      default: DEFAULT_OWNER_TAG,
      description: "The stack tag that marks a stack as the owner of the account's trail (any value but \"false\"): with scope tagged-stacks only such stacks are judged; with liveAccount such a stack is judged on what it declares, even without a trail.",
    },
    liveAccount: {
      type: "boolean",
      default: false,
      description: "Judge a stack that declares no trail and has no owner tag on the live accounts its AWS providers deploy to: it passes when each has a trail that meets CIS 3.1 (an organization trail counts). Reads CloudTrail with the credentials the pack runs with (cloudtrail:DescribeTrails, GetTrailStatus, GetEventSelectors; sts:AssumeRole for a provider's assumed role). The policy cannot see deletions: a stack that removes its last trail is judged on the live trail it is removing, so give baseline stacks the owner tag.",
    },
    liveAccountTimeout: {
      type: "number",
      minimum: 1,
      maximum: MAX_LIVE_ACCOUNT_TIMEOUT,
      default: DEFAULT_LIVE_ACCOUNT_TIMEOUT,
      description: "With liveAccount: the most seconds reading one account may take, every call and retry included.",
    },
    liveAccountUnreadable: {
      type: "string",
      enum: [...UNREADABLE_LEVELS],
      default: "advisory",
      description: "With liveAccount: what an account that cannot be read (no credentials, AccessDenied, time-out) gives: advisory (a warning, the update goes on) or block (a violation at the policy's level). Never a pass.",
    },
  }),
  validateStack: (args, reportViolation) => {
    const config = readConfig(args);
    const requirements = readRequirements(config);
    const scope = config.choice("scope", "every-stack", SCOPES);
    const ownerTag = config.string("ownerStackTag", DEFAULT_OWNER_TAG);
    const liveAccount = config.boolean("liveAccount", false);
    const timeoutSeconds = config.number("liveAccountTimeout", DEFAULT_LIVE_ACCOUNT_TIMEOUT, 1, MAX_LIVE_ACCOUNT_TIMEOUT);
    const unreadable = config.choice("liveAccountUnreadable", "advisory", UNREADABLE_LEVELS);
    if (reportConfigProblems(config, reportViolation)) return undefined;

    const tag = args.stackTags.get(ownerTag);
    const tagged = tag !== undefined && tag !== "false";
    const trails: TrailInStack[] = [];
    for (const resource of args.resources) {
      const parsed = trailOf(resource.type, resource.props);
      if (parsed) trails.push({ urn: resource.urn, name: resource.name, parsed });
    }
    // Owners (a declared trail, or the owner tag) are judged on what they declare; others on the live account.
    if (liveAccount && trails.length === 0 && !tagged) return judgeLive(args, reportViolation, { requirements, timeoutSeconds, unreadable, ownerTag });
    if (scope === "tagged-stacks" && !tagged) {
      args.notApplicable(`the stack has no "${ownerTag}" tag, and the policy's scope is tagged-stacks`);
    }
    if (trails.length === 0 && scope === "stacks-with-trails" && !(liveAccount && tagged)) {
      args.notApplicable("the stack has no trail, and the policy's scope is stacks-with-trails");
    }

    judgeDeclared(trails, requirements, args.stackTags, reportViolation);
    return undefined;
  },
};

/** The stack judged on the trails it declares. */
function judgeDeclared(
  trails: TrailInStack[], requirements: Requirements, stackTags: ReadonlyMap<string, string>, reportViolation: ReportViolation,
): void {
  const verdict = judgeStack(trails, requirements);
  switch (verdict.status) {
    case "compliant":
      return;
    case "no-trail":
      reportViolation(
        `This stack has no CloudTrail trail (${TRAIL_TYPE_LIST}). Add a trail that is multi-region, logging, ` +
        "includes global service events and records all management events, read and write. If another stack " +
        "owns this account's trail, set this policy's scope to stacks-with-trails or tagged-stacks.");
      return;
    case "unknown":
      reportUndecidedStack(stackTags, reportViolation, verdict.candidates, "meet CIS 3.1", " and blocks the update if no trail complies");
      return;
    case "noncompliant": {
      const others = verdict.trailCount > 1
        ? ` None of the stack's ${verdict.trailCount} trails complies; CIS asks for one trail that meets every requirement on its own.`
        : "";
      reportViolation(
        `${capitalize(trailLabel(verdict.closest.name))} ${describeGaps(verdict.gaps)}.${others} ` +
        `To fix: ${describeFixes(verdict.gaps)}.`,
        verdict.closest.urn);
    }
  }
}
