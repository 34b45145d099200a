/**
 * Each trail, on its own, is logging, multi-region, includes global service events and records all
 * management events, read and write. Advisory by default: a single-region data-events trail beside a
 * compliant trail is legitimate. The stack policy aws-cloudtrail-stack-has-cis-trail is what blocks.
 *
 * Severity: medium. Framework: CIS AWS Foundations Benchmark v3.0.0, control 3.1.
 * https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-management-events-with-cloudtrail.html
 */

import { ResourceValidationPolicy } from "@pulumi/policy";
import { describeFixes, describeGaps, judgeTrail, listOf } from "../lib/cis";
import { remediateTrail } from "../lib/remediate";
import { trailKindOf } from "../lib/trail";
import {
  CIS_V3, EXEMPT_TRAIL, NOT_A_TRAIL, cisFramework, couldNotBeRead, exemptTrailsSchema, isExempt, readConfig, readProps, readRequirements, reportUnknown,
  requirementsSchema, schema, trailLabel, trailToJudge,
} from "./common";
import { setRemediatedInput } from "./sdk-internals";

export const trailMeetsCisAlone: ResourceValidationPolicy = {
  name: "aws-cloudtrail-trail-meets-cis",
  description:
    "Each CloudTrail trail should be logging, multi-region, include global service events and record all " +
    "management events, read and write.",
  enforcementLevel: "advisory",
  severity: "medium",
  framework: cisFramework(CIS_V3, "3.1", "Ensure CloudTrail is enabled in all regions"),
  tags: ["cloudtrail", "logging"],
  remediationSteps:
    "Set isMultiRegionTrail, enableLogging and includeGlobalServiceEvents to true and record all management " +
    "events, or list the trail in exemptTrails if it is meant for data events only.",
  url: "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-management-events-with-cloudtrail.html",
  configSchema: schema({
    ...requirementsSchema,
    exemptTrails: exemptTrailsSchema,
  }),
  // With enforcementLevel "remediate", the engine applies these changes before deploying.
  remediateResource: (args) => {
    const kind = trailKindOf(args.type);
    if (!kind) return args.notApplicable(NOT_A_TRAIL);
    const config = readConfig(args);
    const allowed = readRequirements(config).allowedExcludedSources;
    const exempt = config.strings("exemptTrails", []);
    if (config.problems.length > 0) return undefined;
    if (isExempt(args, exempt)) return args.notApplicable(EXEMPT_TRAIL);
    const remediation = remediateTrail(kind, readProps(args.props), allowed);
    if (!remediation) return undefined;
    const props = args.props as Record<string, unknown>;
    for (const [key, value] of Object.entries(remediation.changes)) setRemediatedInput(props, key, value);
    return props;
  },
  validateResource: (args, reportViolation) => {
    const judged = trailToJudge(args, reportViolation, readRequirements);
    if (!judged) return;
    const verdict = judgeTrail(judged.parsed, judged.options);
    const label = trailLabel(args.name);
    if (verdict.status === "noncompliant") {
      reportViolation(`The ${label} ${describeGaps(verdict.gaps)}. To fix: ${describeFixes(verdict.gaps)}.`);
    } else if (verdict.status === "unknown") {
      const unread = couldNotBeRead(args.stackTags, args.urn, verdict.unknowns);
      reportUnknown(reportViolation, unread ? `The ${label} cannot be judged: ${unread}.`
        : `The ${label} cannot be judged at preview: ${listOf(verdict.unknowns, 5)} is unknown until deploy. ` +
          "`pulumi up` checks it again with the real values.");
    }
  },
};
