/**
 * One logging, multi-region trail records S3 object-level read events (GetObject, HeadObject, ...)
 * for every current and future bucket. Advisory by default: read events are the costliest data
 * events to record, and many teams record them for sensitive buckets only (scope declared-buckets).
 *
 * Severity: medium. Framework: CIS AWS Foundations Benchmark v3.0.0, control 3.9 (3.11 in v1.4.0
 * and v1.5.0; 3.9 from v2.0.0). Also AWS Security Hub S3.23.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-cloudtrail-logging-for-s3.html
 */

import { CIS_V3, cisFramework } from "./common";
import { objectLoggingPolicy } from "./object-logging";

export const s3ObjectReadEvents = objectLoggingPolicy("read", {
  name: "aws-cloudtrail-s3-object-read-events",
  description:
    "CIS 3.9: one logging, multi-region CloudTrail trail should record S3 object-level read events for every bucket.",
  severity: "medium",
  framework: cisFramework(CIS_V3, "3.9", "Ensure that Object-level logging for read events is enabled for S3 bucket"),
  tags: ["cloudtrail", "s3", "data-events", "cis-v1.4.0-3.11", "cis-v1.5.0-3.11", "cis-v2.0.0-3.9", "cis-v5.0.0-3.9", "securityhub-s3.23"],
  remediationSteps:
    "On a multi-region trail that is logging, add an advanced event selector with eventCategory equals [\"Data\"], " +
    "resources.type equals [\"AWS::S3::Object\"] and readOnly equals [\"true\"], beside the management events " +
    "selector (or a basic selector with dataResources [{ type: \"AWS::S3::Object\", values: [\"arn:aws:s3\"] }]). " +
    "Do not narrow it by resources.ARN, eventName or other fields: CIS asks for every current and future bucket.",
  url: "https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-cloudtrail-logging-for-s3.html",
});
