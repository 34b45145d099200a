// AWS SDK clients for one account, configured the SDK's standard way: the default credential chain,
// the profile's or environment's region and endpoints (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>,
// endpoint_url in the config file), standard retries for throttling and time-outs. The profile is
// AWS_PROFILE's: the SDK reads a profile's endpoint_url from there only, whatever a client's own
// profile option says. Every call is bounded: see CallBounds.

import { CloudTrailClient } from "@aws-sdk/client-cloudtrail";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { fromNodeProviderChain, fromTemporaryCredentials } from "@aws-sdk/credential-providers";

import {
  AccountInputError, CallBounds, ClientSettings, Credentials, FALLBACK_REGION, answerLimitPlugin, isAccountId, isRegionName, shownValue,
} from "./bounds";

const SESSION_NAME = "cis-cloudtrail-check";

export interface Identity {
  account: string;
  arn: string;
  partition: string;
}

/** AWS's partitions: aws, aws-cn, aws-us-gov, aws-iso-b... */
const PARTITION = /^aws(-[a-z]+)*$/;

type ServiceClient = { destroy(): void; middlewareStack: { use(plugin: never): void } };
type ServiceClass<C> = new (config: never) => C;

/** Clients of one account, one per region and service, closed together. */
export class AccountClients {
  private readonly made = new Map<string, ServiceClient>();

  constructor(
    readonly defaultRegion: string,
    private readonly credentials: Credentials,
    private readonly bounds: CallBounds = new CallBounds(),
    /** A provider's own CloudTrail endpoint and profile; the SDK's standard settings otherwise. */
    private readonly cloudTrailSettings: ClientSettings = {},
  ) {}

  cloudTrail(region: string): CloudTrailClient {
    return this.client(CloudTrailClient, region, this.cloudTrailSettings);
  }

  /** Another service's client (EC2, S3...), made once per region, in the account's default region unless told. */
  service<C extends ServiceClient>(service: ServiceClass<C>, region = this.defaultRegion): C {
    return this.client(service, region, {});
  }

  private client<C extends ServiceClient>(service: ServiceClass<C>, region: string, settings: ClientSettings): C {
    const key = `${service.name}@${region}`;
    let client = this.made.get(key) as C | undefined;
    if (!client) {
      client = this.bounds.make(service as never, region, this.credentials, settings) as C;
      this.made.set(key, client);
    }
    return client;
  }

  close(): void {
    for (const client of this.made.values()) client.destroy();
    this.made.clear();
  }
}

/** The caller's own session: credentials from the default chain, resolved once and shared. */
export class Session {
  // The chain memoizes what it finds and refreshes it before expiry, for every client sharing it.
  readonly credentials: Credentials;

  private constructor(
    readonly region: string,
    readonly bounds: CallBounds,
  ) {
    this.credentials = fromNodeProviderChain({
      clientConfig: { requestHandler: bounds.handler }, clientPlugins: [bounds.plugin(region) as never],
    });
  }

  /** The configured region (AWS_REGION, the profile's), else the first --region, else us-east-1. */
  static async open(regions: string[], bounds: CallBounds = new CallBounds()): Promise<Session> {
    const probe = new STSClient({});
    let region: string | undefined;
    try {
      region = await probe.config.region();
    } catch {
      region = undefined;
    } finally {
      probe.destroy();
    }
    if (region && !isRegionName(region)) {
      throw new AccountInputError(`the configured AWS region ${shownValue(region)} is not a region name such as eu-west-1`);
    }
    return new Session(region || regions[0] || FALLBACK_REGION, bounds);
  }

  async identity(): Promise<Identity> {
    const sts = this.bounds.make(STSClient, this.region, this.credentials);
    try {
      const out = await sts.send(new GetCallerIdentityCommand({}));
      const arn = out.Arn ?? "";
      const partition = arn.split(":")[1] ?? "";
      if (!isAccountId(out.Account)) {
        throw new AccountInputError(`sts:GetCallerIdentity answered ${shownValue(out.Account)} as the caller's account, which is not a 12-digit account ID`);
      }
      if (!PARTITION.test(partition) || arn.split(":")[4] !== out.Account) {
        throw new AccountInputError(`sts:GetCallerIdentity answered ${shownValue(arn)} as the caller's ARN, which is not an ARN of account ${out.Account}`);
      }
      return { account: out.Account, arn, partition };
    } finally {
      sts.destroy();
    }
  }

  /** Clients acting as the caller itself. */
  own(): AccountClients {
    return new AccountClients(this.region, this.credentials, this.bounds);
  }

  /** Clients acting as role `roleName` in `account`: one AssumeRole, shared by every client of the account. */
  async assume(account: string, partition: string, roleName: string): Promise<AccountClients> {
    // Checked again here, where the ID becomes an ARN: nothing else may reach the RoleArn.
    if (!isAccountId(account)) throw new Error(`not an account ID: ${shownValue(account)}`);
    const provider = fromTemporaryCredentials({
      params: { RoleArn: `arn:${partition}:iam::${account}:role/${roleName}`, RoleSessionName: SESSION_NAME },
      masterCredentials: this.credentials,
      clientConfig: { region: this.region, requestHandler: this.bounds.handler },
      clientPlugins: [this.bounds.plugin(this.region) as never, answerLimitPlugin],
    });
    const credentials = await provider();
    return new AccountClients(this.region, credentials, this.bounds);
  }
}
