// AWS SDK clients for one account, configured the SDK's standard way: the default credential chain,
// the profile's or environment's region and endpoints (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>,
// endpoint_url in the config file), standard retries for throttling. The profile is AWS_PROFILE's:
// the SDK reads a profile's endpoint_url from there only, whatever a client's own profile option says.

import { CloudTrailClient } from "@aws-sdk/client-cloudtrail";
import { EC2Client } from "@aws-sdk/client-ec2";
import { OrganizationsClient } from "@aws-sdk/client-organizations";
import { S3Client } from "@aws-sdk/client-s3";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { fromNodeProviderChain, fromTemporaryCredentials } from "@aws-sdk/credential-providers";

import { errorMessage, firstLine } from "../preview/errors";

/** Where an answer has no region of its own (STS, EC2 DescribeRegions) and none is configured. */
export const FALLBACK_REGION = "us-east-1";
const SESSION_NAME = "cis-cloudtrail-check";

type AwsCredentialIdentityProvider = ReturnType<typeof fromNodeProviderChain>;
type AwsCredentialIdentity = Awaited<ReturnType<AwsCredentialIdentityProvider>>;

export interface Identity {
  account: string;
  arn: string;
  partition: string;
}

interface ClientConfig {
  region: string;
  credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
}

/** Clients of one account, one per region and service, closed together. */
export class AccountClients {
  private readonly trails = new Map<string, CloudTrailClient>();
  private ec2?: EC2Client;
  private s3Client?: S3Client;

  constructor(
    readonly defaultRegion: string,
    private readonly credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider,
  ) {}

  private config(region: string): ClientConfig {
    return { region, credentials: this.credentials };
  }

  cloudTrail(region: string): CloudTrailClient {
    let client = this.trails.get(region);
    if (!client) {
      client = new CloudTrailClient(this.config(region));
      this.trails.set(region, client);
    }
    return client;
  }

  regions(): EC2Client {
    this.ec2 ??= new EC2Client(this.config(this.defaultRegion));
    return this.ec2;
  }

  /** ListBuckets answers for every region; each bucket comes with its own. */
  s3(): S3Client {
    this.s3Client ??= new S3Client(this.config(this.defaultRegion));
    return this.s3Client;
  }

  close(): void {
    for (const client of this.trails.values()) client.destroy();
    this.trails.clear();
    this.ec2?.destroy();
    this.s3Client?.destroy();
  }
}

/** A failure named the way AWS names it: `AccessDeniedException: User ... is not authorized ...`. */
export function awsError(err: unknown): string {
  const name = err instanceof Error && err.name && err.name !== "Error" ? `${err.name}: ` : "";
  return firstLine(`${name}${errorMessage(err)}`);
}

export function isCredentialsError(err: unknown): boolean {
  return err instanceof Error && (err.name === "CredentialsProviderError" || err.name === "TokenProviderError");
}

/** The caller's own session: credentials from the default chain, resolved once and shared. */
export class Session {
  // The chain memoizes what it finds and refreshes it before expiry, for every client sharing it.
  readonly credentials: AwsCredentialIdentityProvider = fromNodeProviderChain();

  private constructor(readonly region: string) {}

  /** The configured region (AWS_REGION, the profile's), else the first --region, else us-east-1. */
  static async open(regions: string[]): Promise<Session> {
    const probe = new STSClient({});
    let region: string | undefined;
    try {
      region = await probe.config.region();
    } catch {
      region = undefined;
    } finally {
      probe.destroy();
    }
    return new Session(region || regions[0] || FALLBACK_REGION);
  }

  async identity(): Promise<Identity> {
    const sts = new STSClient({ region: this.region, credentials: this.credentials });
    try {
      const out = await sts.send(new GetCallerIdentityCommand({}));
      const arn = out.Arn ?? "";
      return { account: out.Account ?? "", arn, partition: arn.split(":")[1] || "aws" };
    } finally {
      sts.destroy();
    }
  }

  organizations(): OrganizationsClient {
    return new OrganizationsClient({ region: this.region, credentials: this.credentials });
  }

  /** Clients acting as the caller itself. */
  own(): AccountClients {
    return new AccountClients(this.region, this.credentials);
  }

  /** Clients acting as role `roleName` in `account`: one AssumeRole, shared by every client of the account. */
  async assume(account: string, partition: string, roleName: string): Promise<AccountClients> {
    const provider = fromTemporaryCredentials({
      params: { RoleArn: `arn:${partition}:iam::${account}:role/${roleName}`, RoleSessionName: SESSION_NAME },
      masterCredentials: this.credentials,
      clientConfig: { region: this.region },
    });
    const credentials = await provider();
    return new AccountClients(this.region, credentials);
  }
}
