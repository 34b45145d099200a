/**
 * The stack has at least one CloudTrail trail that is logging, multi-region, includes global
 * service events and records all management events, read and write, from every source.
 *
 * Severity: high. Framework: CIS AWS Foundations Benchmark v3.0.0, control 3.1 (2.1 in v1.2.0,
 * 3.1 in v1.4.0 to v5.0.0, 4.1 in v6.0.0). Also AWS Security Hub CloudTrail.1.
 * https://docs.aws.amazon.com/awscloudtrail/latest/userguide/receive-cloudtrail-log-files-from-multiple-regions.html
 */

import { StackValidationPolicy } from "@pulumi/policy";
import { TrailInStack, describeFixes, describeGaps, judgeStack } from "../lib/cis";
import {
  CIS_V3, TRAIL_TYPE_LIST, capitalize, cisFramework, readConfig, readRequirements, reportConfigProblems, reportUndecidedStack,
  requirementsSchema, schema, trailLabel, trailOf,
} from "./common";

const SCOPES = ["every-stack", "stacks-with-trails", "tagged-stacks"] as const;
export const DEFAULT_OWNER_TAG = "cis-cloudtrail-owner";

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
      description: "With scope tagged-stacks: the stack tag that marks a stack as the owner of the account's trail (any value but \"false\").",
    },
  }),
  validateStack: (args, reportViolation) => {
    const config = readConfig(args);
    const requirements = readRequirements(config);
    const scope = config.choice("scope", "every-stack", SCOPES);
    const ownerTag = config.string("ownerStackTag", DEFAULT_OWNER_TAG);
    if (reportConfigProblems(config, reportViolation)) return;

    if (scope === "tagged-stacks") {
      const tag = args.stackTags.get(ownerTag);
      if (tag === undefined || tag === "false") {
        args.notApplicable(`the stack has no "${ownerTag}" tag, and the policy's scope is tagged-stacks`);
      }
    }
    const trails: TrailInStack[] = [];
    for (const resource of args.resources) {
      const parsed = trailOf(resource.type, resource.props);
      if (parsed) trails.push({ urn: resource.urn, name: resource.name, parsed });
    }
    if (trails.length === 0 && scope === "stacks-with-trails") {
      args.notApplicable("the stack has no trail, and the policy's scope is stacks-with-trails");
    }

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
        reportUndecidedStack(args.stackTags, reportViolation, verdict.candidates, "meet CIS 3.1", " and blocks the update if no trail complies");
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
  },
};
