// An account baseline for CIS AWS Foundations "Ensure CloudTrail is enabled in all regions":
// one multi-region trail that records every management event, read and write, and the S3
// object-level write events of every bucket, delivered to a hardened, encrypted S3 bucket and to
// CloudWatch Logs.
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";

// ---------------------------------------------------------------------------------------------
// Configuration. The defaults here match the ones declared in Pulumi.yaml, so the program behaves
// the same when it runs without the CLI filling them in.
// ---------------------------------------------------------------------------------------------
const config = new pulumi.Config();

const trailName = config.get("trailName") ?? "cis-baseline-trail";
const organizationTrail = config.getBoolean("organizationTrail") ?? false;
const organizationIdSetting = config.get("organizationId") ?? "";
const transitionDays = config.getNumber("transitionDays") ?? 30;
const glacierTransitionDays = config.getNumber("glacierTransitionDays") ?? 90;
const logRetentionDays = config.getNumber("logRetentionDays") ?? 365;
const noncurrentVersionExpirationDays = config.getNumber("noncurrentVersionExpirationDays") ?? 90;
const cloudWatchLogsRetentionDays = config.getNumber("cloudWatchLogsRetentionDays") ?? 90;
const kmsKeyDeletionWindowDays = config.getNumber("kmsKeyDeletionWindowDays") ?? 30;
const forceDestroy = config.getBoolean("forceDestroy") ?? false;
// S3 object-level read events (CIS 3.9) are off by default: every GetObject and HeadObject of every
// bucket becomes a billed data event, which in a busy account costs far more than the trail itself.
const recordS3ReadEvents = config.getBoolean("recordS3ReadEvents") ?? false;

// Reject settings S3, KMS or CloudWatch Logs would refuse, before anything is created.
if (transitionDays < 30) {
  throw new Error(`transitionDays is ${transitionDays}: S3 moves objects to STANDARD_IA only after at least 30 days`);
}
if (glacierTransitionDays < transitionDays + 30) {
  throw new Error(
    `glacierTransitionDays is ${glacierTransitionDays}: objects must spend at least 30 days in STANDARD_IA ` +
      `(so at least ${transitionDays + 30})`,
  );
}
if (logRetentionDays <= glacierTransitionDays) {
  throw new Error(
    `logRetentionDays is ${logRetentionDays}: logs must be kept longer than glacierTransitionDays (${glacierTransitionDays})`,
  );
}
if (noncurrentVersionExpirationDays < 1) {
  throw new Error(`noncurrentVersionExpirationDays is ${noncurrentVersionExpirationDays}: it must be at least 1`);
}
if (kmsKeyDeletionWindowDays < 7 || kmsKeyDeletionWindowDays > 30) {
  throw new Error(`kmsKeyDeletionWindowDays is ${kmsKeyDeletionWindowDays}: KMS accepts 7 to 30 days`);
}
const LOG_GROUP_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];
if (!LOG_GROUP_RETENTION_DAYS.includes(cloudWatchLogsRetentionDays)) {
  throw new Error(
    `cloudWatchLogsRetentionDays is ${cloudWatchLogsRetentionDays}: CloudWatch Logs accepts only ` +
      LOG_GROUP_RETENTION_DAYS.join(", "),
  );
}

const cloudWatchLogGroupName = `/aws/cloudtrail/${trailName}`;

const tags = {
  Purpose: "cloudtrail-audit-logs",
  Compliance: "CIS-AWS-Foundations-3.1-3.8",
  ManagedBy: "pulumi",
  Stack: `${pulumi.getProject()}/${pulumi.getStack()}`,
};

// ---------------------------------------------------------------------------------------------
// Where we are: account, partition and region, and the ARNs that follow from them. The trail's
// ARN is built from its name because the bucket and key policies must exist before the trail.
// ---------------------------------------------------------------------------------------------
const identity = aws.getCallerIdentityOutput();
const partition = aws.getPartitionOutput();
const region = aws.getRegionOutput();

const accountId = identity.accountId;
const expectedTrailArn = pulumi.interpolate`arn:${partition.partition}:cloudtrail:${region.region}:${accountId}:trail/${trailName}`;
const logGroupArnForKey = pulumi.interpolate`arn:${partition.partition}:logs:${region.region}:${accountId}:log-group:${cloudWatchLogGroupName}`;
const logsServicePrincipal = pulumi.interpolate`logs.${region.region}.${partition.dnsSuffix}`;

// Confused-deputy guards: CloudTrail may use this bucket, key and role only for this trail in
// this account.
const sourceArnCondition = { test: "StringEquals", variable: "aws:SourceArn", values: [expectedTrailArn] };
const sourceConditions = [
  sourceArnCondition,
  { test: "StringEquals", variable: "aws:SourceAccount", values: [accountId] },
];

// An organization trail also writes under AWSLogs/<organization id>/. The id comes from config,
// or is looked up when the stack runs in the organization's management account.
const organizationId: pulumi.Output<string> | undefined = organizationTrail
  ? organizationIdSetting !== ""
    ? pulumi.output(organizationIdSetting)
    : aws.organizations.getOrganizationOutput().id
  : undefined;

// ---------------------------------------------------------------------------------------------
// KMS key for the log files, digest files and the CloudWatch log group (CIS 3.5 in v3.0.0).
// ---------------------------------------------------------------------------------------------
const keyPolicy = aws.iam.getPolicyDocumentOutput({
  statements: [
    {
      // Lets the account administer the key and lets IAM policies grant its use: people who read
      // the logs need kms:Decrypt through their IAM policies.
      sid: "EnableAccountAdministration",
      effect: "Allow",
      principals: [{ type: "AWS", identifiers: [pulumi.interpolate`arn:${partition.partition}:iam::${accountId}:root`] }],
      actions: ["kms:*"],
      resources: ["*"],
    },
    {
      sid: "AllowCloudTrailToEncryptLogs",
      effect: "Allow",
      principals: [{ type: "Service", identifiers: ["cloudtrail.amazonaws.com"] }],
      actions: ["kms:GenerateDataKey*"],
      resources: ["*"],
      conditions: [
        sourceArnCondition,
        {
          test: "StringLike",
          variable: "kms:EncryptionContext:aws:cloudtrail:arn",
          values: [pulumi.interpolate`arn:${partition.partition}:cloudtrail:*:${accountId}:trail/*`],
        },
      ],
    },
    {
      // AWS requires kms:Decrypt to create or update an SSE-KMS trail whose bucket uses an S3
      // Bucket Key, as this one does.
      sid: "AllowCloudTrailToDecryptForThisTrail",
      effect: "Allow",
      principals: [{ type: "Service", identifiers: ["cloudtrail.amazonaws.com"] }],
      actions: ["kms:Decrypt"],
      resources: ["*"],
      conditions: [sourceArnCondition],
    },
    {
      sid: "AllowCloudTrailToDescribeKey",
      effect: "Allow",
      principals: [{ type: "Service", identifiers: ["cloudtrail.amazonaws.com"] }],
      actions: ["kms:DescribeKey"],
      resources: ["*"],
      conditions: [sourceArnCondition],
    },
    {
      // CloudWatch Logs encrypts the trail's log group with this key, for that log group only.
      sid: "AllowCloudWatchLogsForTheTrailLogGroup",
      effect: "Allow",
      principals: [{ type: "Service", identifiers: [logsServicePrincipal] }],
      actions: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
      resources: ["*"],
      conditions: [
        { test: "ArnEquals", variable: "kms:EncryptionContext:aws:logs:arn", values: [logGroupArnForKey] },
      ],
    },
  ],
});

const key = new aws.kms.Key("cloudtrail", {
  description: `Encrypts CloudTrail trail ${trailName} log files and its CloudWatch log group`,
  enableKeyRotation: true,
  deletionWindowInDays: kmsKeyDeletionWindowDays,
  policy: keyPolicy.json,
  tags,
});

new aws.kms.Alias("cloudtrail", {
  name: `alias/cloudtrail/${trailName}`,
  targetKeyId: key.keyId,
});

// ---------------------------------------------------------------------------------------------
// The log bucket: private, owner-enforced, versioned, encrypted, TLS only, with a lifecycle.
// ---------------------------------------------------------------------------------------------
const bucket = new aws.s3.Bucket("cloudtrail-logs", {
  // Without forceDestroy, `pulumi destroy` stops at a bucket that still holds logs.
  forceDestroy,
  tags,
});

const publicAccessBlock = new aws.s3.BucketPublicAccessBlock("cloudtrail-logs", {
  bucket: bucket.id,
  blockPublicAcls: true,
  blockPublicPolicy: true,
  ignorePublicAcls: true,
  restrictPublicBuckets: true,
});

// BucketOwnerEnforced turns ACLs off: the bucket owner owns every log object.
new aws.s3.BucketOwnershipControls("cloudtrail-logs", {
  bucket: bucket.id,
  rule: { objectOwnership: "BucketOwnerEnforced" },
});

const versioning = new aws.s3.BucketVersioning("cloudtrail-logs", {
  bucket: bucket.id,
  versioningConfiguration: { status: "Enabled" },
});

const encryption = new aws.s3.BucketServerSideEncryptionConfiguration("cloudtrail-logs", {
  bucket: bucket.id,
  rules: [
    {
      applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: key.arn },
      bucketKeyEnabled: true,
    },
  ],
});

new aws.s3.BucketLifecycleConfiguration(
  "cloudtrail-logs",
  {
    bucket: bucket.id,
    rules: [
      {
        id: "cloudtrail-log-retention",
        status: "Enabled",
        filter: { prefix: "AWSLogs/" },
        transitions: [
          { days: transitionDays, storageClass: "STANDARD_IA" },
          { days: glacierTransitionDays, storageClass: "GLACIER" },
        ],
        expiration: { days: logRetentionDays },
        noncurrentVersionExpiration: { noncurrentDays: noncurrentVersionExpirationDays },
        abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
      },
    ],
  },
  // The noncurrent-version rule is meant for a versioned bucket: apply it once versioning is on.
  { dependsOn: [versioning] },
);

const writeStatements: aws.types.input.iam.GetPolicyDocumentStatementArgs[] = [
  {
    sid: "AWSCloudTrailWrite",
    effect: "Allow",
    principals: [{ type: "Service", identifiers: ["cloudtrail.amazonaws.com"] }],
    actions: ["s3:PutObject"],
    resources: [pulumi.interpolate`${bucket.arn}/AWSLogs/${accountId}/*`],
    conditions: [
      { test: "StringEquals", variable: "s3:x-amz-acl", values: ["bucket-owner-full-control"] },
      ...sourceConditions,
    ],
  },
];
if (organizationId !== undefined) {
  writeStatements.push({
    // Member accounts' logs land under the organization id. AWS documents this statement with the
    // management account's trail ARN as aws:SourceArn, which pins it to this trail and account.
    sid: "AWSCloudTrailOrganizationWrite",
    effect: "Allow",
    principals: [{ type: "Service", identifiers: ["cloudtrail.amazonaws.com"] }],
    actions: ["s3:PutObject"],
    resources: [pulumi.interpolate`${bucket.arn}/AWSLogs/${organizationId}/*`],
    conditions: [
      { test: "StringEquals", variable: "s3:x-amz-acl", values: ["bucket-owner-full-control"] },
      sourceArnCondition,
    ],
  });
}

const bucketPolicyDocument = aws.iam.getPolicyDocumentOutput({
  statements: [
    {
      sid: "AWSCloudTrailAclCheck",
      effect: "Allow",
      principals: [{ type: "Service", identifiers: ["cloudtrail.amazonaws.com"] }],
      actions: ["s3:GetBucketAcl"],
      resources: [bucket.arn],
      // AWS documents the organization trail's ACL check with aws:SourceArn alone.
      conditions: organizationTrail ? [sourceArnCondition] : sourceConditions,
    },
    ...writeStatements,
    {
      sid: "DenyInsecureTransport",
      effect: "Deny",
      principals: [{ type: "*", identifiers: ["*"] }],
      actions: ["s3:*"],
      resources: [bucket.arn, pulumi.interpolate`${bucket.arn}/*`],
      conditions: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
    },
  ],
});

const bucketPolicy = new aws.s3.BucketPolicy(
  "cloudtrail-logs",
  { bucket: bucket.id, policy: bucketPolicyDocument.json },
  { dependsOn: [publicAccessBlock] },
);

// ---------------------------------------------------------------------------------------------
// CloudWatch Logs delivery, so metric filters and alarms (CIS section 4 in v3.0.0) can watch
// the same events.
// ---------------------------------------------------------------------------------------------
const logGroup = new aws.cloudwatch.LogGroup("cloudtrail", {
  name: cloudWatchLogGroupName,
  retentionInDays: cloudWatchLogsRetentionDays,
  kmsKeyId: key.arn,
  tags,
});

const deliveryRole = new aws.iam.Role("cloudtrail-to-cloudwatch", {
  description: `Lets CloudTrail trail ${trailName} deliver events to ${cloudWatchLogGroupName}`,
  assumeRolePolicy: aws.iam.getPolicyDocumentOutput({
    statements: [
      {
        effect: "Allow",
        principals: [{ type: "Service", identifiers: ["cloudtrail.amazonaws.com"] }],
        actions: ["sts:AssumeRole"],
        conditions: sourceConditions,
      },
    ],
  }).json,
  tags,
});

const deliveryRolePolicy = new aws.iam.RolePolicy("cloudtrail-to-cloudwatch", {
  role: deliveryRole.id,
  policy: aws.iam.getPolicyDocumentOutput({
    statements: [
      {
        sid: "CreateLogStreamAndPutEvents",
        effect: "Allow",
        actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
        resources: [pulumi.interpolate`${logGroup.arn}:log-stream:*`],
      },
    ],
  }).json,
});

// ---------------------------------------------------------------------------------------------
// The trail (CIS 3.1): every region, logging on, all management events read and write; and the
// S3 object-level write events of every current and future bucket (CIS 3.8), read events too with
// recordS3ReadEvents (CIS 3.9).
// ---------------------------------------------------------------------------------------------
const trail = new aws.cloudtrail.Trail(
  "cloudtrail",
  {
    name: trailName,
    s3BucketName: bucket.id,
    isMultiRegionTrail: true,
    // A multi-region trail must record IAM, STS and CloudFront events: AWS rejects anything else.
    includeGlobalServiceEvents: true,
    enableLogging: true,
    // Digest files let you prove the logs were not changed (CIS 3.2).
    enableLogFileValidation: true,
    kmsKeyId: key.arn,
    cloudWatchLogsGroupArn: pulumi.interpolate`${logGroup.arn}:*`,
    cloudWatchLogsRoleArn: deliveryRole.arn,
    isOrganizationTrail: organizationTrail,
    // One selector for all management events: no readOnly field means both reads and writes, and
    // no eventSource field means no source is excluded.
    advancedEventSelectors: [
      {
        name: "Management events selector",
        fieldSelectors: [{ field: "eventCategory", equals: ["Management"] }],
      },
      {
        // No resources.ARN condition: every current and future bucket, this trail's log bucket
        // included, whose log deliveries are then recorded too. readOnly "false" keeps writes only.
        name: recordS3ReadEvents ? "S3 object-level events of all buckets" : "S3 object-level write events of all buckets",
        fieldSelectors: [
          { field: "eventCategory", equals: ["Data"] },
          { field: "resources.type", equals: ["AWS::S3::Object"] },
          ...(recordS3ReadEvents ? [] : [{ field: "readOnly", equals: ["false"] }]),
        ],
      },
    ],
    tags,
  },
  { dependsOn: [bucketPolicy, encryption, deliveryRolePolicy] },
);

export const trailArn = trail.arn;
export const bucketName = bucket.id;
export const logGroupName = logGroup.name;
export const kmsKeyArn = key.arn;
