// The S3 object-level logging rules (CIS 3.8 write events, 3.9 read events; Security Hub S3.22,
// S3.23), one case per rule, each a trail and what the two policies say of it. The same table runs
// through lib (test/unit/object-logging-rules.test.ts) and through the pack over the Analyzer
// protocol (test/object-logging.test.ts).
import type { ClassicTrailProps } from "./unit/fixtures";
import { UNKNOWN } from "./unit/fixtures";

/** "compliant", "unknown" (waits for deploy), or what the trail misses (the gap text after `Trail "main"`). */
export type Expected = "compliant" | "unknown" | string;

export interface ObjectCase {
  name: string;
  trail: ClassicTrailProps;
  write: Expected;
  read: Expected;
}

export const S3_OBJECTS = { type: "AWS::S3::Object", values: ["arn:aws:s3"] };
const DATA = { field: "eventCategory", equals: ["Data"] };
const S3_TYPE = { field: "resources.type", equals: ["AWS::S3::Object"] };
const MANAGEMENT = { field: "eventCategory", equals: ["Management"] };
const base: ClassicTrailProps = { s3BucketName: "audit-logs", isMultiRegionTrail: true };
const basic = (...eventSelectors: NonNullable<ClassicTrailProps["eventSelectors"]>): ClassicTrailProps => ({ ...base, eventSelectors });
const advanced = (...selectors: object[][]): ClassicTrailProps => ({
  ...base,
  advancedEventSelectors: [{ fieldSelectors: [MANAGEMENT] }, ...selectors.map((fieldSelectors) => ({ fieldSelectors }))],
} as ClassicTrailProps);

const NONE = (access: string) => `records no S3 object-level ${access} events`;
const NARROWED = (access: string, by: string) =>
  `records S3 object-level ${access} events only for some buckets or objects (narrowed by ${by}), not for every current and future bucket`;

export const OBJECT_CASES: ObjectCase[] = [
  {
    name: "CIS audit: a basic selector with DataResources AWS::S3::Object arn:aws:s3 and ReadWriteType All records both, for every bucket",
    trail: basic({ readWriteType: "All", includeManagementEvents: true, dataResources: [S3_OBJECTS] }),
    write: "compliant", read: "compliant",
  },
  {
    name: "CIS audit: ReadWriteType WriteOnly records write events only",
    trail: basic({ readWriteType: "WriteOnly", dataResources: [S3_OBJECTS] }, { readWriteType: "All", includeManagementEvents: true }),
    write: "compliant", read: NONE("read"),
  },
  {
    name: "CIS audit: ReadWriteType ReadOnly records read events only",
    trail: basic({ readWriteType: "ReadOnly", dataResources: [S3_OBJECTS] }),
    write: NONE("write"), read: "compliant",
  },
  {
    name: "AWS DataResource: arn:aws:s3::: with no bucket also means every current and future bucket",
    trail: basic({ dataResources: [{ type: "AWS::S3::Object", values: ["arn:aws:s3:::"] }] }),
    write: "compliant", read: "compliant",
  },
  {
    name: "AWS DataResource: arn:aws:s3:::bucket/ is one bucket, not every bucket",
    trail: basic({ dataResources: [{ type: "AWS::S3::Object", values: ["arn:aws:s3:::customer-data/"] }] }),
    write: NARROWED("write", "eventSelectors[0].dataResources[0].values"), read: NARROWED("read", "eventSelectors[0].dataResources[0].values"),
  },
  {
    name: "AWS DataResource: arn:aws:s3:::bucket/prefix is part of one bucket",
    trail: basic({ dataResources: [{ type: "AWS::S3::Object", values: ["arn:aws:s3:::customer-data/invoices/"] }] }),
    write: NARROWED("write", "eventSelectors[0].dataResources[0].values"), read: NARROWED("read", "eventSelectors[0].dataResources[0].values"),
  },
  {
    name: "AWS EventSelector: includeManagementEvents false does not matter for data events",
    trail: basic({ includeManagementEvents: false, dataResources: [S3_OBJECTS] }),
    write: "compliant", read: "compliant",
  },
  {
    name: "AWS PutEventSelectors: selectors are a union, a ReadOnly and a WriteOnly S3 selector record both",
    trail: basic({ readWriteType: "ReadOnly", dataResources: [S3_OBJECTS] }, { readWriteType: "WriteOnly", dataResources: [S3_OBJECTS] }),
    write: "compliant", read: "compliant",
  },
  {
    name: "AWS DataResource: a Lambda function data resource records no S3 object",
    trail: basic({ dataResources: [{ type: "AWS::Lambda::Function", values: ["arn:aws:lambda"] }] }),
    write: NONE("write"), read: NONE("read"),
  },
  {
    name: "AWS default: a trail without selectors records management events and no data events",
    trail: base,
    write: NONE("write"), read: NONE("read"),
  },
  {
    name: "AWS advanced selector: eventCategory Data and resources.type AWS::S3::Object alone record both, for every bucket",
    trail: advanced([DATA, S3_TYPE]),
    write: "compliant", read: "compliant",
  },
  {
    name: "AWS advanced selector: readOnly true records read events only",
    trail: advanced([DATA, S3_TYPE, { field: "readOnly", equals: ["true"] }]),
    write: NONE("write"), read: "compliant",
  },
  {
    name: "AWS advanced selector: readOnly false records write events only",
    trail: advanced([DATA, S3_TYPE, { field: "readOnly", equals: ["false"] }]),
    write: "compliant", read: NONE("read"),
  },
  {
    name: "AWS advanced selectors are a union: readOnly true and readOnly false selectors record both",
    trail: advanced([DATA, S3_TYPE, { field: "readOnly", equals: ["true"] }], [DATA, S3_TYPE, { field: "readOnly", equals: ["false"] }]),
    write: "compliant", read: "compliant",
  },
  {
    name: "AWS advanced selector: resources.ARN startsWith arn:aws:s3::: is every bucket",
    trail: advanced([DATA, S3_TYPE, { field: "resources.ARN", startsWiths: ["arn:aws:s3:::"] }]),
    write: "compliant", read: "compliant",
  },
  {
    name: "AWS advanced selector: resources.ARN startsWith one bucket is not every bucket",
    trail: advanced([DATA, S3_TYPE, { field: "resources.ARN", startsWiths: ["arn:aws:s3:::customer-data/"] }]),
    write: NARROWED("write", "advancedEventSelectors[1].fieldSelectors[2]"), read: NARROWED("read", "advancedEventSelectors[1].fieldSelectors[2]"),
  },
  {
    name: "AWS advanced selector: resources.ARN notStartsWith excludes a bucket",
    trail: advanced([DATA, S3_TYPE, { field: "resources.ARN", notStartsWiths: ["arn:aws:s3:::audit-logs/"] }]),
    write: NARROWED("write", "advancedEventSelectors[1].fieldSelectors[2]"), read: NARROWED("read", "advancedEventSelectors[1].fieldSelectors[2]"),
  },
  {
    name: "AWS advanced selectors are a union: every bucket but the log bucket, and the log bucket, are every bucket",
    trail: advanced(
      [DATA, S3_TYPE, { field: "resources.ARN", notStartsWiths: ["arn:aws:s3:::audit-logs/"] }],
      [DATA, S3_TYPE, { field: "resources.ARN", startsWiths: ["arn:aws:s3:::audit-logs/"] }],
    ),
    write: "compliant", read: "compliant",
  },
  {
    name: "AWS advanced selectors are a union: every bucket but the log bucket, and part of the log bucket, leave the rest of it out",
    trail: advanced(
      [DATA, S3_TYPE, { field: "resources.ARN", notStartsWiths: ["arn:aws:s3:::audit-logs/"] }],
      [DATA, S3_TYPE, { field: "resources.ARN", startsWiths: ["arn:aws:s3:::audit-logs/AWSLogs/"] }],
    ),
    write: NARROWED("write", "advancedEventSelectors[1].fieldSelectors[2] and advancedEventSelectors[2].fieldSelectors[2]"),
    read: NARROWED("read", "advancedEventSelectors[1].fieldSelectors[2] and advancedEventSelectors[2].fieldSelectors[2]"),
  },
  {
    name: "AWS advanced selectors are a union only of what each records: the log bucket's selector, narrowed by eventName too, leaves it out",
    trail: advanced(
      [DATA, S3_TYPE, { field: "resources.ARN", notStartsWiths: ["arn:aws:s3:::audit-logs/"] }],
      [DATA, S3_TYPE, { field: "resources.ARN", startsWiths: ["arn:aws:s3:::audit-logs/"] }, { field: "eventName", equals: ["PutObject"] }],
    ),
    write: NARROWED("write", "advancedEventSelectors[1].fieldSelectors[2], advancedEventSelectors[2].fieldSelectors[2] and advancedEventSelectors[2].fieldSelectors[3]"),
    read: NARROWED("read", "advancedEventSelectors[1].fieldSelectors[2], advancedEventSelectors[2].fieldSelectors[2] and advancedEventSelectors[2].fieldSelectors[3]"),
  },
  {
    name: "AWS advanced selector: resources.ARN equals names single objects",
    trail: advanced([DATA, S3_TYPE, { field: "resources.ARN", equals: ["arn:aws:s3:::customer-data/report.csv"] }]),
    write: NARROWED("write", "advancedEventSelectors[1].fieldSelectors[2]"), read: NARROWED("read", "advancedEventSelectors[1].fieldSelectors[2]"),
  },
  {
    name: "AWS advanced selector: eventName narrows the events recorded",
    trail: advanced([DATA, S3_TYPE, { field: "eventName", equals: ["PutObject"] }]),
    write: NARROWED("write", "advancedEventSelectors[1].fieldSelectors[2]"), read: NARROWED("read", "advancedEventSelectors[1].fieldSelectors[2]"),
  },
  {
    name: "AWS advanced selector: userIdentity.arn narrows the events recorded",
    trail: advanced([DATA, S3_TYPE, { field: "userIdentity.arn", notStartsWiths: ["arn:aws:sts::123456789012:assumed-role/batch/"] }]),
    write: NARROWED("write", "advancedEventSelectors[1].fieldSelectors[2]"), read: NARROWED("read", "advancedEventSelectors[1].fieldSelectors[2]"),
  },
  {
    name: "AWS advanced selector: eventSource narrows the events recorded",
    trail: advanced([DATA, S3_TYPE, { field: "eventSource", notEquals: ["s3.amazonaws.com"] }]),
    write: NARROWED("write", "advancedEventSelectors[1].fieldSelectors[2]"), read: NARROWED("read", "advancedEventSelectors[1].fieldSelectors[2]"),
  },
  {
    name: "AWS advanced selector: eventType narrows the events recorded",
    trail: advanced([DATA, S3_TYPE, { field: "eventType", equals: ["AwsApiCall"] }]),
    write: NARROWED("write", "advancedEventSelectors[1].fieldSelectors[2]"), read: NARROWED("read", "advancedEventSelectors[1].fieldSelectors[2]"),
  },
  {
    name: "AWS advanced selector: sessionCredentialFromConsole narrows the events recorded",
    trail: advanced([DATA, S3_TYPE, { field: "sessionCredentialFromConsole", notEquals: ["true"] }]),
    write: NARROWED("write", "advancedEventSelectors[1].fieldSelectors[2]"), read: NARROWED("read", "advancedEventSelectors[1].fieldSelectors[2]"),
  },
  {
    name: "AWS rejects errorCode in a trail's data event selector (event data stores only)",
    trail: advanced([DATA, S3_TYPE, { field: "errorCode", equals: ["AccessDenied"] }]),
    write: "has a configuration AWS rejects or cannot read (advancedEventSelectors[1].fieldSelectors[2].field)",
    read: "has a configuration AWS rejects or cannot read (advancedEventSelectors[1].fieldSelectors[2].field)",
  },
  {
    name: "AWS rejects vpcEndpointId in a trail's S3 data event selector (network activity events only)",
    trail: advanced([DATA, S3_TYPE, { field: "vpcEndpointId", equals: ["vpce-0123456789abcdef0"] }]),
    write: "has a configuration AWS rejects or cannot read (advancedEventSelectors[1].fieldSelectors[2].field)",
    read: "has a configuration AWS rejects or cannot read (advancedEventSelectors[1].fieldSelectors[2].field)",
  },
  {
    name: "AWS rejects a data event selector without resources.type",
    trail: advanced([DATA, { field: "resources.ARN", startsWiths: ["arn:aws:s3:::"] }]),
    write: "has a configuration AWS rejects or cannot read (advancedEventSelectors[1].fieldSelectors)",
    read: "has a configuration AWS rejects or cannot read (advancedEventSelectors[1].fieldSelectors)",
  },
  {
    name: "AWS rejects more than 250 data resource values on a trail",
    trail: basic({ dataResources: [{ type: "AWS::S3::Object", values: ["arn:aws:s3", ...Array.from({ length: 250 }, (_, i) => `arn:aws:s3:::bucket-${i}/`)] }] }),
    write: "has a configuration AWS rejects or cannot read (eventSelectors)",
    read: "has a configuration AWS rejects or cannot read (eventSelectors)",
  },
  {
    name: "AWS advanced selector: resources.type AWS::DynamoDB::Table records no S3 object",
    trail: advanced([DATA, { field: "resources.type", equals: ["AWS::DynamoDB::Table"] }]),
    write: NONE("write"), read: NONE("read"),
  },
  {
    name: "CIS remediation: a single-region trail records the buckets of its own region only",
    trail: { ...basic({ dataResources: [S3_OBJECTS] }), isMultiRegionTrail: false },
    write: "is single-region", read: "is single-region",
  },
  {
    name: "AWS StopLogging: a trail that is not logging records nothing",
    trail: { ...basic({ dataResources: [S3_OBJECTS] }), enableLogging: false },
    write: "is not logging", read: "is not logging",
  },
  {
    name: "AWS rejects a basic data resource type other than S3 objects, Lambda functions and DynamoDB tables",
    trail: basic({ dataResources: [{ type: "AWS::S3::Bucket", values: ["arn:aws:s3"] }] }),
    write: "has a configuration AWS rejects or cannot read (eventSelectors[0].dataResources[0].type)",
    read: "has a configuration AWS rejects or cannot read (eventSelectors[0].dataResources[0].type)",
  },
  {
    name: "unknown at preview: one readOnly value is true or false, so it decides at deploy",
    trail: advanced([DATA, S3_TYPE, { field: "readOnly", equals: [UNKNOWN] }]),
    write: "unknown", read: "unknown",
  },
  {
    name: "unknown at preview: a data resource value from another resource decides at deploy",
    trail: basic({ dataResources: [{ type: "AWS::S3::Object", values: [UNKNOWN] }] }),
    write: "unknown", read: "unknown",
  },
  {
    name: "unknown at preview: an unknown value beside one that already records every bucket does not decide",
    trail: basic({ dataResources: [{ type: "AWS::S3::Object", values: ["arn:aws:s3", UNKNOWN] }] }),
    write: "compliant", read: "compliant",
  },
];
