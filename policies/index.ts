// Every policy of the pack, in the order the CLI lists them: the one list the pack and the library
// (library.ts) both read, so a policy added here is in both.
import { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { s3ObjectReadEvents } from "./s3-object-read-events";
import { s3ObjectWriteEvents } from "./s3-object-write-events";
import { stackHasCisTrail } from "./stack-has-cis-trail";
import { trailCloudWatchLogs } from "./trail-cloudwatch-logs";
import { trailKmsEncryption } from "./trail-kms-encryption";
import { trailLogFileValidation } from "./trail-log-file-validation";
import { trailMeetsCisAlone } from "./trail-meets-cis-alone";
import { trailValidConfiguration } from "./trail-valid-configuration";

export {
  s3ObjectReadEvents, s3ObjectWriteEvents, stackHasCisTrail, trailCloudWatchLogs, trailKmsEncryption, trailLogFileValidation,
  trailMeetsCisAlone, trailValidConfiguration,
};

export type Policy = ResourceValidationPolicy | StackValidationPolicy;

export const policies: readonly Policy[] = [
  stackHasCisTrail,
  trailValidConfiguration,
  trailMeetsCisAlone,
  trailLogFileValidation,
  trailKmsEncryption,
  trailCloudWatchLogs,
  s3ObjectWriteEvents,
  s3ObjectReadEvents,
];
