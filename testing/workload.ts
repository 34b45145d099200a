// Inputs for the benchmark: trails of the shapes the pack must judge, and stacks of realistic size.
import { ResourceToAnalyze, UNKNOWN } from "../tools/analyzer/types";

const STACK_URN = "urn:pulumi:prod::platform::pulumi:pulumi:Stack::platform-prod";
const PROVIDER_URN = "urn:pulumi:prod::platform::pulumi:providers:aws::default_7_0_0";

const provider = {
  type: "pulumi:providers:aws",
  name: "default_7_0_0",
  urn: PROVIDER_URN,
  properties: { region: "eu-west-1", version: "7.0.0", skipCredentialsValidation: false, skipMetadataApiCheck: true },
};

function urn(type: string, name: string): string {
  return `urn:pulumi:prod::platform::${type}::${name}`;
}

function resource(type: string, name: string, properties: Record<string, unknown>): ResourceToAnalyze {
  return { type, name, urn: urn(type, name), properties, parent: STACK_URN, provider };
}

const CLASSIC = "aws:cloudtrail/trail:Trail";
const NATIVE = "aws-native:cloudtrail:Trail";

/** The outputs a classic trail reports, with the settings CIS 3.1 asks for. */
function classicTrail(name: string, overrides: Record<string, unknown> = {}): ResourceToAnalyze {
  return resource(CLASSIC, name, {
    arn: `arn:aws:cloudtrail:eu-west-1:123456789012:trail/${name}`,
    name,
    s3BucketName: "org-audit-logs",
    s3KeyPrefix: "cloudtrail",
    enableLogging: true,
    isMultiRegionTrail: true,
    includeGlobalServiceEvents: true,
    isOrganizationTrail: false,
    enableLogFileValidation: true,
    kmsKeyId: "arn:aws:kms:eu-west-1:123456789012:key/0f6d1c2e-1111-4a2b-9c3d-2e4f5a6b7c8d",
    cloudWatchLogsGroupArn: "arn:aws:logs:eu-west-1:123456789012:log-group:cloudtrail:*",
    cloudWatchLogsRoleArn: "arn:aws:iam::123456789012:role/cloudtrail-to-cloudwatch",
    eventSelectors: [],
    advancedEventSelectors: [],
    insightSelectors: [],
    homeRegion: "eu-west-1",
    snsTopicName: "",
    tags: { team: "security", "cost-center": "1234" },
    tagsAll: { team: "security", "cost-center": "1234", environment: "prod" },
    ...overrides,
  });
}

/** Trails of every shape the rules tell apart, and one resource that is no trail. */
export function analyzeShapes(): { label: string; resource: ResourceToAnalyze }[] {
  return [
    { label: "compliant (aws)", resource: classicTrail("main") },
    {
      label: "compliant (aws-native)",
      resource: resource(NATIVE, "native-main", {
        trailName: "native-main",
        s3BucketName: "org-audit-logs",
        isLogging: true,
        isMultiRegionTrail: true,
        includeGlobalServiceEvents: true,
        enableLogFileValidation: true,
        kmsKeyId: "alias/cloudtrail",
        cloudWatchLogsLogGroupArn: "arn:aws:logs:eu-west-1:123456789012:log-group:cloudtrail:*",
        cloudWatchLogsRoleArn: "arn:aws:iam::123456789012:role/cloudtrail-to-cloudwatch",
        tags: [{ key: "team", value: "security" }],
      }),
    },
    { label: "single-region", resource: classicTrail("regional", { isMultiRegionTrail: false, includeGlobalServiceEvents: false }) },
    {
      label: "read-only basic selector",
      resource: classicTrail("reads", {
        eventSelectors: [{
          readWriteType: "ReadOnly",
          includeManagementEvents: true,
          excludeManagementEventSources: [],
          dataResources: [{ type: "AWS::S3::Object", values: ["arn:aws:s3:::customer-data/"] }],
        }],
      }),
    },
    {
      label: "advanced selectors",
      resource: classicTrail("advanced", {
        advancedEventSelectors: [
          { name: "management", fieldSelectors: [{ field: "eventCategory", equals: ["Management"] }] },
          {
            name: "s3-data",
            fieldSelectors: [
              { field: "eventCategory", equals: ["Data"] },
              { field: "resources.type", equals: ["AWS::S3::Object"] },
              { field: "resources.ARN", startsWiths: ["arn:aws:s3:::customer-data/"], notEquals: [] },
            ],
          },
        ],
      }),
    },
    {
      label: "unknowns (preview)",
      resource: classicTrail("pending", {
        arn: UNKNOWN, isMultiRegionTrail: UNKNOWN, kmsKeyId: UNKNOWN, cloudWatchLogsGroupArn: UNKNOWN, eventSelectors: UNKNOWN,
      }),
    },
    {
      label: "malformed",
      resource: classicTrail("broken", {
        enableLogging: "yes",
        eventSelectors: [{ readWriteType: "all", includeManagementEvents: true }, null],
        advancedEventSelectors: [{ fieldSelectors: [{ field: "eventCategory", notEquals: ["Data"] }] }],
      }),
    },
    { label: "non-trail (s3 bucket)", resource: bucket(0) },
  ];
}

/** An aws:s3/bucket:Bucket with the outputs the provider reports for a typical private bucket. */
export function bucket(i: number): ResourceToAnalyze {
  const name = `app-data-${i}`;
  const physical = `${name}-${(0x5f3a9c + i * 7919).toString(16)}`;
  return resource("aws:s3/bucket:Bucket", name, {
    id: physical,
    arn: `arn:aws:s3:::${physical}`,
    bucket: physical,
    bucketDomainName: `${physical}.s3.amazonaws.com`,
    bucketRegionalDomainName: `${physical}.s3.eu-west-1.amazonaws.com`,
    bucketPrefix: "",
    forceDestroy: false,
    hostedZoneId: "Z1BKCTXD74EZPE",
    objectLockEnabled: false,
    region: "eu-west-1",
    requestPayer: "BucketOwner",
    acl: null,
    policy: "",
    corsRules: [],
    grants: [{ id: "6f2b9e0c7a1d4e3f", type: "CanonicalUser", uri: "", permissions: ["FULL_CONTROL"] }],
    lifecycleRules: [{
      id: "expire-noncurrent",
      enabled: true,
      prefix: "",
      tags: {},
      abortIncompleteMultipartUploadDays: 7,
      expirations: [],
      noncurrentVersionExpirations: [{ days: 90 }],
      noncurrentVersionTransitions: [],
      transitions: [{ days: 30, storageClass: "STANDARD_IA", date: "" }],
    }],
    loggings: [{ targetBucket: "org-access-logs", targetPrefix: `s3/${name}/` }],
    objectLockConfiguration: null,
    replicationConfiguration: null,
    serverSideEncryptionConfiguration: {
      rule: { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: "alias/s3" }, bucketKeyEnabled: true },
    },
    versioning: { enabled: true, mfaDelete: false },
    website: null,
    tags: { app: "orders", team: "payments", environment: "prod" },
    tagsAll: { app: "orders", team: "payments", environment: "prod", "managed-by": "pulumi" },
  });
}

/** An IAM role's managed-policy attachment: a small resource, and among the commonest. */
function rolePolicyAttachment(i: number): ResourceToAnalyze {
  const role = `app-role-${Math.floor(i / 8)}`;
  const policies = ["AmazonS3ReadOnlyAccess", "CloudWatchAgentServerPolicy", "AmazonSSMManagedInstanceCore"];
  return resource("aws:iam/rolePolicyAttachment:RolePolicyAttachment", `${role}-attach-${i}`, {
    id: `${role}-20240311093000${String(i).padStart(6, "0")}`,
    role,
    policyArn: `arn:aws:iam::aws:policy/${policies[i % policies.length]}`,
  });
}

function securityGroupRule(i: number): ResourceToAnalyze {
  const port = [443, 80, 5432, 6379][i % 4];
  return resource("aws:ec2/securityGroupRule:SecurityGroupRule", `ingress-${i}`, {
    id: `sgrule-${(1_000_000_000 + i * 7_919).toString()}`,
    securityGroupRuleId: `sgr-0${(0x1a2b3c4d + i).toString(16)}`,
    securityGroupId: `sg-0${(0x5e6f7a8b + Math.floor(i / 16)).toString(16)}`,
    type: "ingress",
    protocol: "tcp",
    fromPort: port,
    toPort: port,
    cidrBlocks: ["10.0.0.0/16"],
    ipv6CidrBlocks: [],
    prefixListIds: [],
    self: false,
    sourceSecurityGroupId: null,
    description: `port ${port} from the VPC`,
  });
}

function dnsRecord(i: number): ResourceToAnalyze {
  const name = `svc-${i}.internal.example.com`;
  return resource("aws:route53/record:Record", `svc-${i}-a`, {
    id: `Z0123456789ABCDEFGHIJ_${name}_A`,
    zoneId: "Z0123456789ABCDEFGHIJ",
    name,
    fqdn: name,
    type: "A",
    ttl: null,
    records: [],
    aliases: [{
      name: `dualstack.internal-svc-${i}-1234567890.eu-west-1.elb.amazonaws.com`,
      zoneId: "Z32O12XQLNTSW2",
      evaluateTargetHealth: true,
    }],
    allowOverwrite: false,
    healthCheckId: "",
    setIdentifier: "",
    multivalueAnswerRoutingPolicy: false,
    cidrRoutingPolicy: null,
    failoverRoutingPolicies: [],
    geolocationRoutingPolicies: [],
    latencyRoutingPolicies: [],
    weightedRoutingPolicies: [],
  });
}

const FILLERS = [bucket, rolePolicyAttachment, securityGroupRule, dnsRecord];

/** The i-th resource of a stack that is no trail: buckets, IAM attachments, security-group rules and DNS records in turn. */
export function filler(i: number): ResourceToAnalyze {
  const r = FILLERS[i % FILLERS.length](i);
  // Most resources depend on another one, as in a real program: here on the first of each ten.
  if (i % 10 !== 0) r.dependencies = [FILLERS[0](i - (i % 10)).urn];
  return r;
}

const SHORT_OF_CIS: Record<string, unknown>[] = [
  { isMultiRegionTrail: false, includeGlobalServiceEvents: false },
  { enableLogging: false },
  { eventSelectors: [{ readWriteType: "WriteOnly", includeManagementEvents: true, excludeManagementEventSources: [], dataResources: [] }] },
  {
    advancedEventSelectors: [{
      name: "data",
      fieldSelectors: [{ field: "eventCategory", equals: ["Data"] }, { field: "resources.type", equals: ["AWS::S3::Object"] }],
    }],
  },
];

export interface StackEntry {
  /** Equal keys mean equal resources, so each needs encoding once. */
  key: string;
  make: () => ResourceToAnalyze;
}

/**
 * A stack of `size` resources with `trails` trails spread through it. Every trail but the last
 * falls short of CIS 3.1 in one way or another, so the stack policy has to judge each of them.
 */
export function stackEntries(size: number, trails: number): StackEntry[] {
  const entries: StackEntry[] = [];
  const every = Math.floor(size / trails);
  let t = 0;
  for (let i = 0; i < size; i++) {
    // Trails sit at positions ≡ every-1 (mod every), never where a filler others depend on sits.
    if (t < trails && i % every === every - 1) {
      const n = t;
      const last = n === trails - 1;
      entries.push({ key: `trail ${n} ${last}`, make: () => classicTrail(`trail-${n}`, last ? {} : SHORT_OF_CIS[n % SHORT_OF_CIS.length]) });
      t++;
    } else {
      const n = i;
      entries.push({ key: `filler ${n}`, make: () => filler(n) });
    }
  }
  return entries;
}

export function stack(size: number, trails: number): ResourceToAnalyze[] {
  return stackEntries(size, trails).map((e) => e.make());
}
