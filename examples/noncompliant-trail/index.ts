// COUNTER-EXAMPLE. Do not copy this into an account: every trail below misses CIS AWS
// Foundations 3.1 ("Ensure CloudTrail is enabled in all regions") on purpose, in the ways teams
// commonly get it wrong. The policy pack must stop `pulumi preview` and `pulumi up` on this stack.
// examples/compliant-trail shows the fixed version.
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";

const identity = aws.getCallerIdentityOutput();
const partition = aws.getPartitionOutput();
const region = aws.getRegionOutput();
const accountId = identity.accountId;

const regionalTrailName = `regional-read-only-${pulumi.getStack()}`;
const readOnlyTrailName = `all-regions-read-only-${pulumi.getStack()}`;
const trailArnOf = (name: string) =>
  pulumi.interpolate`arn:${partition.partition}:cloudtrail:${region.region}:${accountId}:trail/${name}`;

// The bucket is not the point of this example and is kept short; see examples/compliant-trail for
// encryption, versioning, ownership controls, lifecycle rules and a TLS-only policy.
const bucket = new aws.s3.Bucket("trail-logs", { forceDestroy: true });

const publicAccessBlock = new aws.s3.BucketPublicAccessBlock("trail-logs", {
  bucket: bucket.id,
  blockPublicAcls: true,
  blockPublicPolicy: true,
  ignorePublicAcls: true,
  restrictPublicBuckets: true,
});

const bucketPolicy = new aws.s3.BucketPolicy(
  "trail-logs",
  {
    bucket: bucket.id,
    policy: aws.iam.getPolicyDocumentOutput({
      statements: [
        {
          sid: "AWSCloudTrailAclCheck",
          effect: "Allow",
          principals: [{ type: "Service", identifiers: ["cloudtrail.amazonaws.com"] }],
          actions: ["s3:GetBucketAcl"],
          resources: [bucket.arn],
          conditions: [
            {
              test: "StringEquals",
              variable: "aws:SourceArn",
              values: [trailArnOf(regionalTrailName), trailArnOf(readOnlyTrailName)],
            },
          ],
        },
        {
          sid: "AWSCloudTrailWrite",
          effect: "Allow",
          principals: [{ type: "Service", identifiers: ["cloudtrail.amazonaws.com"] }],
          actions: ["s3:PutObject"],
          resources: [pulumi.interpolate`${bucket.arn}/AWSLogs/${accountId}/*`],
          conditions: [
            { test: "StringEquals", variable: "s3:x-amz-acl", values: ["bucket-owner-full-control"] },
            {
              test: "StringEquals",
              variable: "aws:SourceArn",
              values: [trailArnOf(regionalTrailName), trailArnOf(readOnlyTrailName)],
            },
          ],
        },
      ],
    }).json,
  },
  { dependsOn: [publicAccessBlock] },
);

// MISTAKE 1 (on purpose): a single-region trail. It sees nothing in the other regions, so an
// attacker who works in a region the team never uses leaves no record.
// MISTAKE 2 (on purpose): the basic selector records read events only. Every write (create,
// delete, change a policy, stop logging) goes unrecorded.
const regionalTrail = new aws.cloudtrail.Trail(
  "regional-read-only",
  {
    name: regionalTrailName,
    s3BucketName: bucket.id,
    isMultiRegionTrail: false,
    eventSelectors: [{ readWriteType: "ReadOnly", includeManagementEvents: true }],
  },
  { dependsOn: [bucketPolicy] },
);

// MISTAKE 3 (on purpose): this trail does cover every region, but its advanced selector narrows
// management events with readOnly = "true", so it records reads and drops every write. Alone or
// together with the trail above, nothing records write events in all regions.
const readOnlyTrail = new aws.cloudtrail.Trail(
  "all-regions-read-only",
  {
    name: readOnlyTrailName,
    s3BucketName: bucket.id,
    isMultiRegionTrail: true,
    includeGlobalServiceEvents: true,
    advancedEventSelectors: [
      {
        name: "Read-only management events",
        fieldSelectors: [
          { field: "eventCategory", equals: ["Management"] },
          { field: "readOnly", equals: ["true"] },
        ],
      },
      // MISTAKE 4 (on purpose): S3 object-level write events of one bucket only. CIS 3.8 asks for
      // every current and future bucket; a bucket created tomorrow goes unrecorded.
      {
        name: "Writes to the log bucket",
        fieldSelectors: [
          { field: "eventCategory", equals: ["Data"] },
          { field: "resources.type", equals: ["AWS::S3::Object"] },
          { field: "readOnly", equals: ["false"] },
          { field: "resources.ARN", startsWiths: [pulumi.interpolate`${bucket.arn}/`] },
        ],
      },
    ],
  },
  { dependsOn: [bucketPolicy] },
);

export const regionalTrailArn = regionalTrail.arn;
export const readOnlyTrailArn = readOnlyTrail.arn;
export const bucketName = bucket.id;
