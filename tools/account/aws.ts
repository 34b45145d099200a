// AWS SDK clients for one account, configured the SDK's standard way: the default credential chain,
// the profile's or environment's region and endpoints (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>,
// endpoint_url in the config file), standard retries for throttling. The profile is AWS_PROFILE's:
// the SDK reads a profile's endpoint_url from there only, whatever a client's own profile option says.

import { CloudTrailClient } from "@aws-sdk/client-cloudtrail";
import { EC2Client } from "@aws-sdk/client-ec2";
import { OrganizationsClient } from "@aws-sdk/client-organizations";
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
export const REGION_NAME = /^[a-z]{2}(-[a-z]+)+-\d+$/;
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

/** The client with the answer size limit on every call. */
function boundAnswers<C extends { middlewareStack: { use(plugin: never): void } }>(client: C): C {
  client.middlewareStack.use(answerLimitPlugin);
  return client;
}

interface ClientConfig {
  region: string;
  credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
}

/** Clients of one account, one per region and service, closed together. */
export class AccountClients {
  private readonly trails = new Map<string, CloudTrailClient>();
  private ec2?: EC2Client;

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
      client = boundAnswers(new CloudTrailClient(this.config(region)));
      this.trails.set(region, client);
    }
    return client;
  }

  regions(): EC2Client {
    this.ec2 ??= boundAnswers(new EC2Client(this.config(this.defaultRegion)));
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
    if (region && !isRegionName(region)) {
      throw new PreviewError(`the configured AWS region ${shownValue(region)} is not a region name such as eu-west-1`);
    }
    return new Session(region || regions[0] || FALLBACK_REGION);
  }

  async identity(): Promise<Identity> {
    const sts = boundAnswers(new STSClient({ region: this.region, credentials: this.credentials }));
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
    return boundAnswers(new OrganizationsClient({ region: this.region, credentials: this.credentials }));
  }

  /** Clients acting as the caller itself. */
  own(): AccountClients {
    return new AccountClients(this.region, this.credentials);
  }

  /** Clients acting as role `roleName` in `account`: one AssumeRole, shared by every client of the account. */
  async assume(account: string, partition: string, roleName: string): Promise<AccountClients> {
    // Checked again here, where the ID becomes an ARN: nothing else may reach the RoleArn.
    if (!isAccountId(account)) throw new Error(`not an account ID: ${shownValue(account)}`);
    const provider = fromTemporaryCredentials({
      params: { RoleArn: `arn:${partition}:iam::${account}:role/${roleName}`, RoleSessionName: SESSION_NAME },
      masterCredentials: this.credentials,
      clientConfig: { region: this.region },
      clientPlugins: [answerLimitPlugin],
    });
    const credentials = await provider();
    return new AccountClients(this.region, credentials);
  }
}
