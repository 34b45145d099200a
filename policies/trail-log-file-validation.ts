/**
 * Each trail has log file validation on, so a digest file proves the logs were not changed after
 * delivery.
 *
 * Severity: medium. Framework: CIS AWS Foundations Benchmark v3.0.0, control 3.2.
 * https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-intro.html
 */

import { ResourceValidationPolicy } from "@pulumi/policy";
import { CIS_V3, checkTrailSetting, cisFramework, exemptTrailsSchema, schema } from "./common";

export const trailLogFileValidation: ResourceValidationPolicy = {
  name: "aws-cloudtrail-trail-log-file-validation",
  description: "CloudTrail trails should have log file validation enabled.",
  enforcementLevel: "advisory",
  severity: "medium",
  framework: cisFramework(CIS_V3, "3.2", "Ensure CloudTrail log file validation is enabled"),
  tags: ["cloudtrail", "integrity"],
  remediationSteps: "Set enableLogFileValidation: true on the trail.",
  url: "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-intro.html",
  configSchema: schema({ exemptTrails: exemptTrailsSchema }),
  validateResource: checkTrailSetting(
    (trail) => trail.logFileValidation,
    (label) => `The ${label} does not validate its log files. To fix: set enableLogFileValidation: true.`),
};
