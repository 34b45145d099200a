// Bounds on every AWS call of the live-account reader: a time limit per attempt (the SDK sets none
// by default), a size limit per answer, a tally of the calls in flight for progress lines, and
// AWS's identifier shapes, checked wherever an answer's value would pick an endpoint or an ARN.

import type { fromNodeProviderChain } from "@aws-sdk/credential-providers";
import { Readable, Transform, pipeline } from "stream";

import { errorMessage, firstLine, quoteExcerpt } from "../lib/text";

/** Where an answer has no region of its own (STS, EC2 DescribeRegions) and none is configured. */
export const FALLBACK_REGION = "us-east-1";

/** Bad input or an answer AWS would not send: the caller reports its message as it is. */
export class AccountInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AccountInputError";
  }
}

type AwsCredentialIdentityProvider = ReturnType<typeof fromNodeProviderChain>;
type AwsCredentialIdentity = Awaited<ReturnType<AwsCredentialIdentityProvider>>;
export type Credentials = AwsCredentialIdentity | AwsCredentialIdentityProvider;

/** AWS's account ID: twelve digits. */
const ACCOUNT_ID = /^\d{12}$/;
/** AWS's region names: us-east-1, eu-central-2, us-gov-west-1, cn-north-1... */
const REGION_NAME = /^[a-z]{2}(-[a-z]+)+-\d+$/;

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
export const answerLimitPlugin = {
  applyToStack: (stack: { add(m: unknown, o: object): void }) => stack.add(answerLimit, { step: "deserialize", priority: "low", name: "answerLimit" }),
} as never;

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

/** What a client may say beyond region and credentials: a provider's endpoint and profile. */
export interface ClientSettings {
  endpoint?: string;
  profile?: string;
}

interface ClientConfig extends ClientSettings {
  region: string;
  credentials: Credentials;
  requestHandler: object;
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

  constructor(
    readonly limits: CallLimits = DEFAULT_CALL_LIMITS,
    /** The setting that changes the limit, for the time-out message. */
    private readonly limitOption = "--call-timeout",
  ) {}

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
    service: new (config: ClientConfig) => C, region: string, credentials: Credentials, settings: ClientSettings = {},
  ): C {
    const config: ClientConfig = { region, credentials, requestHandler: this.handler };
    if (settings.endpoint !== undefined) config.endpoint = settings.endpoint;
    if (settings.profile !== undefined) config.profile = settings.profile;
    const client = new service(config);
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
      `(${this.limitOption})${attempts ? `; ${attempts} ${attempts === 1 ? "attempt" : "attempts"}` : ""}`;
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

