// Every policy of the pack, in the order the CLI lists them.
import { Policies } from "@pulumi/policy";
import { s3ObjectReadEvents } from "./s3-object-read-events";
import { s3ObjectWriteEvents } from "./s3-object-write-events";
import { stackHasCisTrail } from "./stack-has-cis-trail";
import { trailCloudWatchLogs } from "./trail-cloudwatch-logs";
import { trailKmsEncryption } from "./trail-kms-encryption";
import { trailLogFileValidation } from "./trail-log-file-validation";
import { trailMeetsCisAlone } from "./trail-meets-cis-alone";
import { trailValidConfiguration } from "./trail-valid-configuration";

export const policies: Policies = [
  stackHasCisTrail,
  trailValidConfiguration,
  trailMeetsCisAlone,
  trailLogFileValidation,
  trailKmsEncryption,
  trailCloudWatchLogs,
  s3ObjectWriteEvents,
  s3ObjectReadEvents,
];
