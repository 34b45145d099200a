/**
 * Every trail has a configuration AWS accepts and values of the expected types: one kind of event
 * selector, global service events on a multi-region trail, exact readWriteType names, equals-only
 * eventCategory conditions, no null entries. A malformed trail fails closed here instead of being
 * guessed at.
 *
 * Severity: high. Supports CIS AWS Foundations Benchmark v3.0.0 control 3.1.
 * https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_PutEventSelectors.html
 */

import { ResourceValidationPolicy } from "@pulumi/policy";
import { listOf } from "../lib/cis";
import { CIS_V3, LOOKUP_ONLY, NOT_A_TRAIL, cisFramework, couldNotBeRead, reportUnknown, trailLabel, trailOf } from "./common";

/** Enough to fix a trail, without flooding the output when thousands of entries are wrong. */
const MOST_PROBLEMS_SHOWN = 10;

export const trailValidConfiguration: ResourceValidationPolicy = {
  name: "aws-cloudtrail-trail-valid-configuration",
  description: "CloudTrail trails must have a configuration AWS accepts, with values of the expected types.",
  enforcementLevel: "mandatory",
  severity: "high",
  framework: cisFramework(CIS_V3, "3.1", "Ensure CloudTrail is enabled in all regions"),
  tags: ["cloudtrail", "validation"],
  remediationSteps:
    "Fix each property the message names: use either eventSelectors or advancedEventSelectors, not both; keep " +
    "includeGlobalServiceEvents true on a multi-region trail; write readWriteType exactly as ReadOnly, WriteOnly " +
    "or All; use only equals on eventCategory; remove null entries.",
  url: "https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_PutEventSelectors.html",
  validateResource: (args, reportViolation) => {
    const parsed = trailOf(args.type, args.props);
    if (!parsed) return args.notApplicable(NOT_A_TRAIL);
    // A read resource's lookup carries no configuration: AnalyzeStack judges what was read.
    if (parsed.lookupOnly) return args.notApplicable(LOOKUP_ONLY);
    const label = trailLabel(args.name);
    if (parsed.problems.length > 0) {
      const shown = parsed.problems.slice(0, MOST_PROBLEMS_SHOWN).map((p) => p.message);
      const more = parsed.problems.length - shown.length;
      reportViolation(
        `The ${label} has a configuration AWS rejects or that cannot be read. ${shown.join(" ")}` +
        (more > 0 ? ` And ${more} more ${more === 1 ? "problem" : "problems"}.` : ""));
      return;
    }
    // A trail read from AWS is one AWS accepted: what could not be read of it is no doubt about that.
    if (parsed.undecided.length > 0 && !couldNotBeRead(args.stackTags, args.urn, parsed.undecided.map((u) => u.path))) {
      const reasons = parsed.undecided.map((u) => `${u.path} is unknown at preview, and ${u.rule}`);
      reportUnknown(reportViolation,
        `The ${label} may be rejected by AWS: ${listOf(reasons)}. \`pulumi up\` checks it again.`);
    }
  },
};
