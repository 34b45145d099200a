// AWS SDK clients for one account, configured the SDK's standard way: the default credential chain,
// the profile's or environment's region and endpoints (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>,
// endpoint_url in the config file), standard retries for throttling and time-outs. The profile is
// AWS_PROFILE's: the SDK reads a profile's endpoint_url from there only, whatever a client's own
// profile option says. Every call is bounded: see CallBounds.

import { CloudTrailClient } from "@aws-sdk/client-cloudtrail";
import { EC2Client } from "@aws-sdk/client-ec2";
import { OrganizationsClient } from "@aws-sdk/client-organizations";
import { S3Client } from "@aws-sdk/client-s3";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { fromNodeProviderChain, fromTemporaryCredentials } from "@aws-sdk/credential-providers";
import { Readable, Transform, pipeline } from "stream";

import { PreviewError, errorMessage, firstLine } from "../preview/errors";
import { quoteExcerpt } from "../preview/safe-text";

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

/** AWS's account ID: twelve digits. */
const ACCOUNT_ID = /^\d{12}$/;
/** AWS's region names: us-east-1, eu-central-2, us-gov-west-1, cn-north-1... */
const REGION_NAME = /^[a-z]{2}(-[a-z]+)+-\d+$/;
/** AWS's partitions: aws, aws-cn, aws-us-gov, aws-iso-b... */
const PARTITION = /^aws(-[a-z]+)*$/;

export function isAccountId(value: unknown): value is string {
  return typeof value === "string" && ACCOUNT_ID.test(value);
}

export function isRegionName(value: unknown): value is string {
  return typeof value === "string" && REGION_NAME.test(value);
}

/** A value AWS sent where an identifier belongs, for a message: quoted, escaped and cut short. */
export function shownValue(value: unknown): string {
  return value === undefined || value === null ? "nothing" : quoteExcerpt(String(value), 100);
}

/**
 * The most one AWS answer may hold: real answers of the calls made here are kilobytes (a page of 20
 * accounts, the trails of one region), so this is far beyond any of them and far below what would
 * strain memory or the pack.
 */
export const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

/** An answer refused for its size: the fault of the call that got it. */
export class ResponseTooLarge extends Error {
  constructor(operation: string, endpoint: string, bytes: string) {
    super(`the answer to ${operation} from ${endpoint} is larger than ${MAX_RESPONSE_BYTES / 1024 / 1024} MiB (${bytes}); refused unread`);
    this.name = "ResponseTooLarge";
  }
}

interface RawResponse {
  headers: Record<string, string>;
  body: Readable;
}
type Next = (args: { request: unknown }) => Promise<{ response: unknown }>;

/**
 * Refuses an answer over MAX_RESPONSE_BYTES as it arrives, before the SDK collects and parses it:
 * at once when its content-length says so, else when the bytes counted pass the limit. Added last in
 * the deserialize step, so it sees the raw response, and the SDK's retry sees its error.
 */
const answerLimit = (next: Next, context: { clientName?: string; commandName?: string }) => async (args: { request: unknown }) => {
  const out = await next(args);
  const request = args.request as { hostname?: string; port?: number; protocol?: string };
  const endpoint = `${request.protocol ?? "https:"}//${request.hostname ?? "?"}${request.port ? `:${request.port}` : ""}`;
  const operation = `${context.clientName?.replace(/Client$/, "") ?? "AWS"}:${context.commandName?.replace(/Command$/, "") ?? "?"}`;
  const response = out.response as RawResponse;
  const declared = Number(response.headers?.["content-length"]);
  if (declared > MAX_RESPONSE_BYTES) {
    response.body?.destroy?.();
    throw new ResponseTooLarge(operation, endpoint, `content-length ${declared}`);
  }
  if (response.body instanceof Readable) {
    let seen = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        seen += chunk.length;
        done(seen > MAX_RESPONSE_BYTES ? new ResponseTooLarge(operation, endpoint, "more bytes than that sent") : null, chunk);
      },
    });
    response.body = pipeline(response.body, counter, () => undefined);
  }
  return out;
};
// Typed loosely: each client's stack is typed by its own commands, and the limit fits them all.
const answerLimitPlugin = {
  applyToStack: (stack: { add(m: unknown, o: object): void }) => stack.add(answerLimit, { step: "deserialize", priority: "low", name: "answerLimit" }),
} as never;

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
    client.middlewareStack.use(answerLimitPlugin);
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
  private s3Client?: S3Client;

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

  /** ListBuckets answers for every region; each bucket comes with its own. */
  s3(): S3Client {
    this.s3Client ??= this.bounds.make(S3Client, this.defaultRegion, this.credentials);
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
    if (region && !isRegionName(region)) {
      throw new PreviewError(`the configured AWS region ${shownValue(region)} is not a region name such as eu-west-1`);
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
        throw new PreviewError(`sts:GetCallerIdentity answered ${shownValue(out.Account)} as the caller's account, which is not a 12-digit account ID`);
      }
      if (!PARTITION.test(partition) || arn.split(":")[4] !== out.Account) {
        throw new PreviewError(`sts:GetCallerIdentity answered ${shownValue(arn)} as the caller's ARN, which is not an ARN of account ${out.Account}`);
      }
      return { account: out.Account, arn, partition };
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
