// AWS SDK clients for one account, configured the SDK's standard way: the default credential chain,
// the profile's or environment's region and endpoints (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>,
// endpoint_url in the config file), standard retries for throttling and time-outs. The profile is
// AWS_PROFILE's: the SDK reads a profile's endpoint_url from there only, whatever a client's own
// profile option says. Every call is bounded: see CallBounds.

import { CloudTrailClient } from "@aws-sdk/client-cloudtrail";
import { EC2Client } from "@aws-sdk/client-ec2";
import { OrganizationsClient } from "@aws-sdk/client-organizations";
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

type Credentials = AwsCredentialIdentity | AwsCredentialIdentityProvider;

/**
 * How long one attempt at an AWS call may take: to connect, and in all, connecting included. The
 * SDK's standard retries try a call that timed out again (3 attempts in all unless AWS_MAX_ATTEMPTS
 * says otherwise), so with the defaults a call to an endpoint that never answers fails in about a minute.
 */
export interface CallLimits {
  connectMs: number;
  answerMs: number;
}

export const DEFAULT_CALL_LIMITS: CallLimits = { connectMs: 5_000, answerMs: 20_000 };

/** A call sent and not answered yet: "CloudTrail DescribeTrails in eu-west-3". */
export interface PendingCall {
  what: string;
  since: number;
}

interface HttpRequestLike {
  protocol?: string;
  hostname?: string;
  port?: number;
}

/**
 * Makes every AWS client of a run: the limits on each attempt go to the SDK's own request handler
 * (a time-out is a TimeoutError, which the standard retries try again), and a middleware outside
 * the retries tallies each call and, when its last attempt timed out, names the endpoint and the limit.
 */
export class CallBounds {
  answered = 0;
  readonly pending = new Set<PendingCall>();

  constructor(readonly limits: CallLimits = DEFAULT_CALL_LIMITS) {}

  /** The request handler's settings, also for the clients credential providers make. */
  readonly handler = { connectionTimeout: this.limits.connectMs, requestTimeout: this.limits.answerMs, throwOnRequestTimeout: true };

  /** The middleware as a plugin, also for the clients credential providers make. */
  plugin(region: string) {
    return {
      applyToStack: (stack: { add(middleware: unknown, options: { step: "build"; name: string }): void }) =>
        stack.add(
          (next: (args: { request?: HttpRequestLike }) => Promise<unknown>, context: { clientName?: string; commandName?: string }) =>
            (args: { request?: HttpRequestLike }) => this.track(next, args, `${context.clientName?.replace(/Client$/, "")} ` +
              `${context.commandName?.replace(/Command$/, "")} in ${region}`),
          { step: "build", name: "cisCallBounds" }),
    };
  }

  make<C extends { middlewareStack: { use(plugin: never): void } }>(
    service: new (config: { region: string; credentials: Credentials; requestHandler: object }) => C, region: string, credentials: Credentials,
  ): C {
    const client = new service({ region, credentials, requestHandler: this.handler });
    client.middlewareStack.use(this.plugin(region) as never);
    return client;
  }

  private async track<T>(next: (args: { request?: HttpRequestLike }) => Promise<T>, args: { request?: HttpRequestLike }, what: string): Promise<T> {
    const call = { what, since: Date.now() };
    this.pending.add(call);
    try {
      return await next(args);
    } catch (err) {
      if (err instanceof Error && err.name === "TimeoutError") err.message = this.timedOut(err, args.request);
      throw err;
    } finally {
      this.pending.delete(call);
      this.answered++;
    }
  }

  /** "no answer from https://cloudtrail.eu-west-3.amazonaws.com within 20s, the limit per attempt (--call-timeout); 3 attempts". */
  private timedOut(err: Error, request?: HttpRequestLike): string {
    const endpoint = request?.hostname ? `${request.protocol ?? "https:"}//${request.hostname}${request.port ? `:${request.port}` : ""}` : "the endpoint";
    const attempts = (err as { $metadata?: { attempts?: number } }).$metadata?.attempts;
    const connecting = /establish a connection/.test(err.message);
    const limit = (connecting ? this.limits.connectMs : this.limits.answerMs) / 1000;
    return `${connecting ? "could not connect to" : "no answer from"} ${endpoint} within ${limit}s, the limit per attempt ` +
      `(--call-timeout)${attempts ? `; ${attempts} ${attempts === 1 ? "attempt" : "attempts"}` : ""}`;
  }
}

/** Clients of one account, one per region and service, closed together. */
export class AccountClients {
  private readonly trails = new Map<string, CloudTrailClient>();
  private ec2?: EC2Client;

  constructor(
    readonly defaultRegion: string,
    private readonly credentials: Credentials,
    private readonly bounds: CallBounds = new CallBounds(),
  ) {}

  cloudTrail(region: string): CloudTrailClient {
    let client = this.trails.get(region);
    if (!client) {
      client = this.bounds.make(CloudTrailClient, region, this.credentials);
      this.trails.set(region, client);
    }
    return client;
  }

  regions(): EC2Client {
    this.ec2 ??= this.bounds.make(EC2Client, this.defaultRegion, this.credentials);
    return this.ec2;
  }

  close(): void {
    for (const client of this.trails.values()) client.destroy();
    this.trails.clear();
    this.ec2?.destroy();
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
  readonly credentials: AwsCredentialIdentityProvider;

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
    return new Session(region || regions[0] || FALLBACK_REGION, bounds);
  }

  async identity(): Promise<Identity> {
    const sts = this.bounds.make(STSClient, this.region, this.credentials);
    try {
      const out = await sts.send(new GetCallerIdentityCommand({}));
      const arn = out.Arn ?? "";
      return { account: out.Account ?? "", arn, partition: arn.split(":")[1] || "aws" };
    } finally {
      sts.destroy();
    }
  }

  organizations(): OrganizationsClient {
    return this.bounds.make(OrganizationsClient, this.region, this.credentials);
  }

  /** Clients acting as the caller itself. */
  own(): AccountClients {
    return new AccountClients(this.region, this.credentials, this.bounds);
  }

  /** Clients acting as role `roleName` in `account`: one AssumeRole, shared by every client of the account. */
  async assume(account: string, partition: string, roleName: string): Promise<AccountClients> {
    const provider = fromTemporaryCredentials({
      params: { RoleArn: `arn:${partition}:iam::${account}:role/${roleName}`, RoleSessionName: SESSION_NAME },
      masterCredentials: this.credentials,
      clientConfig: { region: this.region, requestHandler: this.bounds.handler },
      clientPlugins: [this.bounds.plugin(this.region) as never],
    });
    const credentials = await provider();
    return new AccountClients(this.region, credentials, this.bounds);
  }
}
