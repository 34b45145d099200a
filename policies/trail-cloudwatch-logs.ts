/**
 * Each trail delivers its events to CloudWatch Logs, where metric filters and alarms can watch them
 * in near real time (the CIS monitoring controls build on this).
 *
 * Severity: low. Framework: CIS AWS Foundations Benchmark v1.4.0, control 3.4.
 * https://docs.aws.amazon.com/awscloudtrail/latest/userguide/send-cloudtrail-events-to-cloudwatch-logs.html
 */

import { ResourceValidationPolicy } from "@pulumi/policy";
import { checkTrailSetting, cisFramework, exemptTrailsSchema, isSet, schema } from "./common";

export const trailCloudWatchLogs: ResourceValidationPolicy = {
  name: "aws-cloudtrail-trail-cloudwatch-logs",
  description: "CloudTrail trails should deliver events to a CloudWatch Logs log group.",
  enforcementLevel: "advisory",
  severity: "low",
  framework: cisFramework("1.4.0", "3.4", "Ensure CloudTrail trails are integrated with CloudWatch Logs"),
  tags: ["cloudtrail", "monitoring"],
  remediationSteps: "Create an aws.cloudwatch.LogGroup and an IAM role CloudTrail can assume, and set cloudWatchLogsGroupArn (\"<log group arn>:*\") and cloudWatchLogsRoleArn.",
  url: "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/send-cloudtrail-events-to-cloudwatch-logs.html",
  configSchema: schema({ exemptTrails: exemptTrailsSchema }),
  validateResource: checkTrailSetting(
    (trail) => isSet(trail.cloudWatchLogsGroupArn),
    (label) => `The ${label} does not deliver events to CloudWatch Logs. To fix: set a log group ARN and a role ARN for CloudWatch Logs delivery.`),
};
