/**
 * Each trail encrypts its log files with a customer managed KMS key (SSE-KMS), not only the
 * bucket's default encryption, so reading the logs also needs kms:Decrypt.
 *
 * Severity: medium. Framework: CIS AWS Foundations Benchmark v3.0.0, control 3.5.
 * https://docs.aws.amazon.com/awscloudtrail/latest/userguide/encrypting-cloudtrail-log-files-with-aws-kms.html
 */

import { ResourceValidationPolicy } from "@pulumi/policy";
import { CIS_V3, checkTrailSetting, cisFramework, exemptTrailsSchema, isSet, schema } from "./common";

export const trailKmsEncryption: ResourceValidationPolicy = {
  name: "aws-cloudtrail-trail-kms-encryption",
  description: "CloudTrail trails should encrypt their logs with a customer managed KMS key.",
  enforcementLevel: "advisory",
  severity: "medium",
  framework: cisFramework(CIS_V3, "3.5", "Ensure CloudTrail logs are encrypted at rest using KMS CMKs"),
  tags: ["cloudtrail", "encryption"],
  remediationSteps: "Create an aws.kms.Key whose key policy lets cloudtrail.amazonaws.com use it, and set the trail's kmsKeyId to its ARN.",
  url: "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/encrypting-cloudtrail-log-files-with-aws-kms.html",
  configSchema: schema({ exemptTrails: exemptTrailsSchema }),
  validateResource: checkTrailSetting(
    (trail) => isSet(trail.kmsKeyId),
    (label) => `The ${label} does not encrypt its logs with a KMS key. To fix: set kmsKeyId to a customer managed key's ARN.`),
};
