// The library: the pack's policies as values for an organization's own pack, a selection helper
// shaped like Pulumi's policy manager, and the pure CIS CloudTrail logic for writing policies of
// one's own. Loading it creates no PolicyPack (index.ts, the pack's entry, does), so any pack can
// import it. Everything here is public API: a name that goes away is a breaking change.

// The policies, one list (policies/index.ts) for the pack and the library.
export {
  policies, s3ObjectReadEvents, s3ObjectWriteEvents, stackHasCisTrail, trailCloudWatchLogs, trailKmsEncryption,
  trailLogFileValidation, trailMeetsCisAlone, trailValidConfiguration,
} from "./policies";
export type { Policy } from "./policies";
export { policyMetadata, selectPolicies } from "./policies/selection";
export type { PolicyMetadata, PolicySelection } from "./policies/selection";
export { guardSdkDeserializer } from "./policies/sdk-internals";

// Glue for writing a policy of one's own: a resource's trail, read through the SDK's proxy.
export { readProps, trailOf } from "./policies/common";

// The pure CIS logic: no Pulumi, plain values in, verdicts out.
export {
  CLASSIC_TRAIL_TYPE, MANAGEMENT_SOURCES_AWS_CAN_EXCLUDE, NATIVE_TRAIL_TYPE, TRAIL_TYPES, parseTrail, trailKindOf,
} from "./lib/trail";
export type {
  AdvancedSelector, BasicSelector, ExcludableSource, FieldCondition, FieldSelector, ParsedTrail, Problem, ProblemCode, Trail,
  TrailKind,
} from "./lib/trail";
export { CIS_REQUIREMENTS, describeFixes, describeGaps, judgeObjectLogging, judgeStack, judgeTrail } from "./lib/cis";
export type { BucketInStack, Gap, GapCode, ObjectScope, Requirements, StackVerdict, TrailInStack, TrailVerdict } from "./lib/cis";
export type { S3Access } from "./lib/coverage";
export { Malformed, Unknown } from "./lib/values";
export type { Uncertain, Value } from "./lib/values";
